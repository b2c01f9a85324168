// Package sqlite is the embedded store.Backend: one SQLite file in WAL
// mode with synchronous=FULL, one writer connection fed by a group-commit
// loop, a pool of read connections, and an exclusive lock on the file so
// that one process at a time serves it (SQLite is for one box; PostgreSQL
// is for several instances).
package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"time"

	_ "github.com/mattn/go-sqlite3" // SQLite driver (cgo)

	"github.com/paysync/paysync/store"
	"github.com/paysync/paysync/store/internal/migration"
	"github.com/paysync/paysync/store/internal/rowscan"
)

// Options configures Open. Zero values take defaults.
type Options struct {
	// MaxBatch bounds how many writes share one commit (group commit; 128).
	MaxBatch int
	// BusyTimeout is how long a connection waits on a lock (5s).
	BusyTimeout time.Duration
	// Now is the clock for the migrations' bookkeeping and the recovery of
	// leases at open; time.Now by default.
	Now func() time.Time

	// noQuickCheck skips the integrity check at open: this package's tests
	// of a damage found while serving.
	noQuickCheck bool
}

// Backend is paysync's SQLite database.
type Backend struct {
	path  string
	write *sql.DB
	read  *sql.DB
	w     *writer
	lock  *fileLock
	// damaged is the first sign of a damaged file seen while serving (damaged.go).
	damaged damageSeen
}

var _ store.Backend = (*Backend)(nil)

// Open opens (creating if needed) the SQLite file at path: it takes the
// file's exclusive lock (failing if another process serves it), sets WAL,
// synchronous=FULL, foreign keys and the busy timeout, applies the
// embedded migrations (after PRAGMA quick_check: a damaged file refuses
// the start, integrity.go), moves the entries of an inbox file an earlier
// version left beside it into the database (inbox_legacy.go; a damaged one
// refuses the start), recovers the leases a previous process left behind
// and starts the writer. Close releases it.
func Open(ctx context.Context, path string, opts Options) (*Backend, error) {
	if path == "" {
		return nil, errors.New("open sqlite: empty path")
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	lock, err := lockFile(path)
	if err != nil {
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	b := &Backend{path: path, lock: lock}
	if err := b.open(ctx, opts, now); err != nil {
		b.closeConns()
		lock.release()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	return b, nil
}

func (b *Backend) open(ctx context.Context, opts Options, now func() time.Time) error {
	busy := cmp.Or(opts.BusyTimeout, 5*time.Second)
	dsn := func(extra string) string { return fileDSN(b.path, busy, extra) }
	var err error
	if b.write, err = sql.Open("sqlite3", dsn("&_txlock=immediate")); err != nil {
		return err
	}
	b.write.SetMaxOpenConns(1)
	b.write.SetMaxIdleConns(1)
	b.write.SetConnMaxLifetime(0)
	if !opts.noQuickCheck {
		if err := quickCheck(ctx, b.write); err != nil {
			return err
		}
	}
	if err := autoVacuum(ctx, b.write); err != nil {
		return err
	}
	if err := migrate(ctx, b.write, now); err != nil {
		return err
	}
	if err := moveLegacyInbox(ctx, b.write, b.path); err != nil {
		return err
	}
	if err := recoverLeases(ctx, b.write, now()); err != nil {
		return err
	}
	if b.read, err = sql.Open("sqlite3", dsn("&_query_only=true")); err != nil {
		return err
	}
	b.read.SetMaxOpenConns(2 * runtime.GOMAXPROCS(0))
	b.read.SetMaxIdleConns(2 * runtime.GOMAXPROCS(0))
	b.w = newWriter(b.write, cmp.Or(opts.MaxBatch, 128))
	b.w.Start(context.WithoutCancel(ctx))
	return nil
}

// fileDSN is the DSN of a paysync SQLite file: WAL, synchronous=FULL,
// foreign keys, the busy timeout and the statement cache, then extra.
func fileDSN(path string, busy time.Duration, extra string) string {
	return "file:" + url.PathEscape(path) + "?_journal_mode=WAL&_synchronous=FULL&_foreign_keys=on" +
		fmt.Sprintf("&_busy_timeout=%d&_stmt_cache_size=64", busy.Milliseconds()) + extra
}

// recoverLeases makes every check and delivery still leased due at once.
//
// Invariant: it runs only while this process holds the file's exclusive
// lock, before its workers start, so every lease it finds belongs to a
// process that is gone (killed or crashed): no live worker's lease is
// released. Workers never release leases themselves; a lease otherwise
// ends by its owner's outcome or by expiring.
func recoverLeases(ctx context.Context, db *sql.DB, now time.Time) error {
	if _, err := db.ExecContext(ctx, `UPDATE checkouts SET next_check_at = ?, lease_until = NULL, rev = rev + 1 WHERE lease_until IS NOT NULL`, ms(now)); err != nil {
		return fmt.Errorf("recover check leases: %w", err)
	}
	if _, err := db.ExecContext(ctx, `UPDATE deliveries SET next_attempt_at = ?, lease_until = NULL
		WHERE lease_until IS NOT NULL AND status = ?`, ms(now), store.DeliveryPending); err != nil {
		return fmt.Errorf("recover delivery leases: %w", err)
	}
	return nil
}

func (b *Backend) closeConns() error {
	var errs []error
	if b.read != nil {
		errs = append(errs, b.read.Close())
	}
	if b.write != nil {
		errs = append(errs, b.write.Close())
	}
	return errors.Join(errs...)
}

// Close stops the writer after the writes already queued, closes the
// connections and releases the file's lock.
func (b *Backend) Close() error {
	b.w.Stop()
	return errors.Join(b.closeConns(), b.lock.release())
}

// Path returns the database file's path.
func (b *Backend) Path() string { return b.path }

// Ping reports whether the database answers, every migration is applied
// and no write found the file damaged.
func (b *Backend) Ping(ctx context.Context) error {
	if err := b.damaged.err(); err != nil {
		return fmt.Errorf("ping store: %w", err)
	}
	var n int
	if err := b.read.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil {
		return fmt.Errorf("ping store: %w", err)
	}
	if err := migration.Complete(n, migrationFS); err != nil {
		return fmt.Errorf("ping store: %w", err)
	}
	return nil
}

// Write runs fn in the writer's next transaction (see writer).
func (b *Backend) Write(ctx context.Context, fn func(store.Tx) error) error {
	return b.damaged.note(b.exec(ctx, func(t *sql.Tx) error { return fn(&tx{Tx: t, b: b}) }))
}

// The time and NULL encodings are rowscan's, shared with PostgreSQL.
func ms(t time.Time) int64 { return rowscan.MS(t) }

func fromMS(v int64) time.Time { return rowscan.FromMS(v) }

func nullMS(t *time.Time) *int64 { return rowscan.NullMS(t) }

func timePtr(v *int64) *time.Time { return rowscan.TimePtr(v) }

func nullString(s string) *string { return rowscan.NullString(s) }
