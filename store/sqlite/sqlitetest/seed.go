package sqlitetest

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"time"

	"github.com/paysync/paysync/store/sqlite"
	"github.com/paysync/paysync/store/sqlite/internal/seed"
)

// The functions below fill or inspect the database of an open backend for
// tests and benchmarks, bypassing the store's rules, on a connection of
// their own to b's file (a write waits for the backend's writer, and it for
// them): nothing of this is compiled into the service.

// conn opens a connection to b's file whose transactions take the write
// lock at BEGIN.
func conn(b *sqlite.Backend) (*sql.DB, error) {
	db, err := sql.Open("sqlite3", "file:"+url.PathEscape(b.Path())+"?_busy_timeout=30000&_txlock=immediate&_foreign_keys=on")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	return db, nil
}

// write is seed.Write on db.
func write(ctx context.Context, db *sql.DB) seed.Write {
	return func(fn func(*sql.Tx) error) error {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		if err := fn(tx); err != nil {
			return err
		}
		return tx.Commit()
	}
}

// SeedPendingCheckouts inserts n pending PayUnit checkouts for the merchant
// in transactions of up to 10,000 rows, references prefix-0 …
// prefix-(n-1), amount "10" XAF, the i-th due at due(i). It writes no
// registration events and does no duplicate checks. It returns the ids in
// order.
func SeedPendingCheckouts(ctx context.Context, b *sqlite.Backend, merchantID, prefix string, n int, due func(i int) time.Time) ([]string, error) {
	db, err := conn(b)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	return seed.PendingCheckouts(write(ctx, db), merchantID, prefix, n, due)
}

// SeedSettledCheckouts inserts n succeeded PayUnit checkouts of the
// merchant, settled at settledAt, each with the history a real one
// collects (events, its raw callback, a delivery and its attempt).
func SeedSettledCheckouts(ctx context.Context, b *sqlite.Backend, merchantID, prefix string, n int, settledAt time.Time) error {
	db, err := conn(b)
	if err != nil {
		return err
	}
	defer db.Close()
	return seed.SettledCheckouts(write(ctx, db), merchantID, prefix, n, settledAt)
}

// CountNotifications returns how many provider callbacks are stored, for
// checking that every acknowledged callback was kept: an identical repeat
// folded into its row (repeats) counts once per time it was received.
func CountNotifications(ctx context.Context, b *sqlite.Backend) (int, error) {
	db, err := conn(b)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	var n int
	if err := db.QueryRowContext(ctx, `SELECT coalesce(sum(repeats), 0) FROM notifications`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count notifications: %w", err)
	}
	return n, nil
}

// ClaimQueryPlan returns SQLite's plan for the claim's inner query, one
// step a line, so tests and benchmarks can show it uses the index.
func ClaimQueryPlan(ctx context.Context, b *sqlite.Backend) (string, error) {
	db, err := conn(b)
	if err != nil {
		return "", err
	}
	defer db.Close()
	plan, err := seed.QueryPlan(ctx, db, seed.ClaimQuery, 0, 1)
	if err != nil {
		return "", fmt.Errorf("claim plan: %w", err)
	}
	return plan + "\n", nil
}

// Checkpoint copies the WAL back into the main file and truncates it, so
// that the file's size on disk is the database's (for tests and
// benchmarks that measure it). It needs the writer idle.
func Checkpoint(ctx context.Context, b *sqlite.Backend) error {
	db, err := conn(b)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	return nil
}
