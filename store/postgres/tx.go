package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/paysync/paysync/store"
)

// tx is one write transaction as a store.Tx. Its statements run under
// the transaction's own context (see Backend.Write), not the one each
// method is handed.
type tx struct {
	ctx     context.Context
	tx      pgx.Tx
	channel string
	live    *liveness // this instance's liveness session, for the claims
}

var _ store.Tx = (*tx)(nil)

func (t *tx) QueryRow(_ context.Context, sql string, args ...any) pgx.Row {
	return t.tx.QueryRow(t.ctx, sql, args...)
}

func (t *tx) exec(sql string, args ...any) (pgconn.CommandTag, error) {
	return t.tx.Exec(t.ctx, sql, args...)
}

func (t *tx) query(sql string, args ...any) (pgx.Rows, error) {
	return t.tx.Query(t.ctx, sql, args...)
}

// isUnique reports whether err is a unique violation (SQLSTATE 23505).
func isUnique(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// execUnique runs one statement in a savepoint, so that a unique
// violation (ErrDuplicate) leaves the transaction usable, as the store
// expects; PostgreSQL otherwise aborts the whole transaction.
func (t *tx) execUnique(sql string, args ...any) (pgconn.CommandTag, error) {
	sp, err := t.tx.Begin(t.ctx)
	if err != nil {
		return pgconn.CommandTag{}, fmt.Errorf("savepoint: %w", err)
	}
	tag, err := sp.Exec(t.ctx, sql, args...)
	if err != nil {
		sp.Rollback(t.ctx)
		if isUnique(err) {
			return tag, store.ErrDuplicate
		}
		return tag, err
	}
	return tag, sp.Commit(t.ctx)
}

// notify announces, when the transaction commits, what other instances
// should act on (PostgreSQL delivers NOTIFY at commit, and folds repeats
// of one payload within a transaction).
func (t *tx) notify(payload string) error {
	if _, err := t.exec(`SELECT pg_notify($1, $2)`, t.channel, payload); err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	return nil
}
