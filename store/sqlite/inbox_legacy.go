package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"

	"github.com/paysync/paysync/store/internal/rowscan"
)

// legacyInboxPath is the callback inbox's file beside the database at
// path, as versions before 0012_inbox.sql kept it: a SQLite file of its
// own, one table inbox with the columns of today's table.
func legacyInboxPath(path string) string { return path + ".inbox" }

// errLegacyInbox says that an inbox file left by an earlier version can't
// be read: it may hold acknowledged callbacks that were never recorded, so
// the database is not served without them.
var errLegacyInbox = errors.New("the callback inbox left beside the database by an earlier paysync can't be read; " +
	"it may hold acknowledged callbacks not recorded yet: restore it (and its -wal) from the same backup as the database, " +
	"or move it aside to start without them (they are then lost)")

// moveLegacyInbox moves the entries of an inbox file an earlier version
// left beside the database (legacyInboxPath) into the inbox table, in one
// transaction on db (the writer's connection, before the writer starts),
// then removes the file with its -wal and -shm. An entry is moved with its
// key: one the old drain recorded and crashed before deleting is skipped by
// its key when drained. A crash after the commit and before the removal
// moves the entries again, skipped the same way.
//
// A file that is not a readable inbox (damaged, truncated, another
// schema, or a -wal without its file) refuses the start with
// errLegacyInbox, naming the file: nothing acknowledged is dropped silently.
func moveLegacyInbox(ctx context.Context, db *sql.DB, path string) error {
	file := legacyInboxPath(path)
	_, statErr := os.Stat(file)
	_, walErr := os.Stat(file + "-wal")
	switch {
	case errors.Is(statErr, os.ErrNotExist) && errors.Is(walErr, os.ErrNotExist):
		os.Remove(file + "-shm") // an index of nothing
		return nil
	case errors.Is(statErr, os.ErrNotExist):
		return fmt.Errorf("%s-wal is there without %s: %w", file, file, errLegacyInbox)
	case statErr != nil:
		return fmt.Errorf("%s: %w: %w", file, statErr, errLegacyInbox)
	}
	n, err := copyLegacyInbox(ctx, db, file)
	if err != nil {
		return fmt.Errorf("%s: %w: %w", file, err, errLegacyInbox)
	}
	for _, f := range []string{file, file + "-wal", file + "-shm"} {
		if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("remove the moved inbox (its %d entries are in the database now): %w", n, err)
		}
	}
	return nil
}

// copyLegacyInbox checks the old inbox file's integrity, then copies its
// entries, oldest first, into the inbox table in one transaction, and
// returns how many it copied.
func copyLegacyInbox(ctx context.Context, db *sql.DB, file string) (int, error) {
	// Read-write (its WAL is replayed), never created.
	old, err := sql.Open("sqlite3", "file:"+url.PathEscape(file)+"?mode=rw&_busy_timeout=5000")
	if err != nil {
		return 0, err
	}
	defer old.Close()
	var check string
	if err := old.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&check); err != nil {
		return 0, err
	}
	if check != "ok" {
		return 0, fmt.Errorf("integrity_check says %q", check)
	}
	rows, err := old.QueryContext(ctx, `SELECT `+rowscan.InboxColumns+` FROM inbox ORDER BY id`)
	if err != nil {
		return 0, err
	}
	entries, err := rowscan.Collect(rows, rowscan.ScanInbox)
	rows.Close()
	if err != nil {
		return 0, err
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	for _, e := range entries {
		if err := insertInbox(tx, e); err != nil {
			return 0, fmt.Errorf("move entry %d: %w", e.ID, err)
		}
	}
	return len(entries), tx.Commit()
}
