package sqlite

import (
	"database/sql"
	"errors"

	"github.com/mattn/go-sqlite3"

	"github.com/paysync/paysync/store"
)

// tx is one write transaction (or one savepoint of a group commit) as a
// store.Tx. SQLite serializes write transactions (one writer, BEGIN
// IMMEDIATE), so the ForUpdate reads need no row locks and LockIdentity
// has nothing to do: every write transaction already runs alone.
type tx struct {
	*sql.Tx
	b *Backend
}

var _ store.Tx = (*tx)(nil)

// isUnique reports whether err is a UNIQUE (or primary key) violation.
// SQLite rolls back only the failing statement, so the transaction stays usable.
func isUnique(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && (se.ExtendedCode == sqlite3.ErrConstraintUnique || se.ExtendedCode == sqlite3.ErrConstraintPrimaryKey)
}

// queryRower is a *sql.Tx or a read connection bound to a context.
type queryRower interface {
	QueryRow(string, ...any) *sql.Row
}
