package app

import (
	"context"
	"errors"
	"strings"

	"github.com/paysync/paysync/store/sqlite"
)

// Backup writes a consistent copy of the SQLite database db to the new
// file out, safely while a paysync serves db (see sqlite.Backup). A
// PostgreSQL database is backed up with PostgreSQL's own tools.
func Backup(ctx context.Context, db, out string) error {
	if strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://") {
		return errors.New("backup: a PostgreSQL database is backed up with pg_dump or pg_basebackup")
	}
	return sqlite.Backup(ctx, db, out)
}
