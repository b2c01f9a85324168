package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
)

// Backup writes a consistent copy of the SQLite database at src to the new
// file dst, while a paysync may be serving src: it opens src read-only on
// its own connection (it takes neither the serving process's file lock
// nor any write lock), and VACUUM INTO copies one read transaction's
// snapshot, so every write committed before the copy began is in it and
// none half-done. The copy is compacted, then checked with PRAGMA
// integrity_check. It fails when dst exists, and removes a partial copy
// when it fails.
//
// The callback inbox is a table of the database, so the copy holds every
// callback acknowledged before the backup began. An inbox file an earlier
// version left beside src (moved into the database when paysync next opens
// it) makes Backup fail rather than copy the database without it.
func Backup(ctx context.Context, src, dst string) error {
	if src == "" || dst == "" {
		return errors.New("backup: a database and a destination are required")
	}
	for _, f := range []string{legacyInboxPath(src), legacyInboxPath(src) + "-wal"} {
		if _, err := os.Stat(f); err == nil {
			return fmt.Errorf("backup: %s, the callback inbox of an earlier paysync, is beside the database: "+
				"start paysync once on %s to move it into the database, then back up", f, src)
		}
	}
	return backupFile(ctx, src, dst)
}

// backupFile copies one SQLite file with VACUUM INTO (see Backup).
func backupFile(ctx context.Context, src, dst string) (err error) {
	if src == "" || dst == "" {
		return errors.New("backup: a database and a destination are required")
	}
	if _, err := os.Stat(src); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if _, err := os.Stat(dst); err == nil {
		return fmt.Errorf("backup: %s exists; give a new file", dst)
	}
	db, err := sql.Open("sqlite3", "file:"+url.PathEscape(src)+"?mode=ro&_busy_timeout=10000")
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer db.Close()
	defer func() {
		if err != nil {
			os.Remove(dst)
		}
	}()
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, dst); err != nil {
		return fmt.Errorf("backup %s: %w", src, err)
	}
	return checkIntegrity(ctx, dst)
}

// checkIntegrity runs PRAGMA integrity_check on the file at path.
func checkIntegrity(ctx context.Context, path string) error {
	db, err := sql.Open("sqlite3", "file:"+url.PathEscape(path)+"?mode=ro")
	if err != nil {
		return fmt.Errorf("check %s: %w", path, err)
	}
	defer db.Close()
	var result string
	if err := db.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&result); err != nil {
		return fmt.Errorf("check %s: %w", path, err)
	}
	if result != "ok" {
		return fmt.Errorf("check %s: integrity_check says %q", path, result)
	}
	return nil
}
