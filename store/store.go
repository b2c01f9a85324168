// Package store keeps paysync's state in SQLite: merchants, checkouts, the
// state machine, the event log, raw provider notifications and the check
// schedule. It is the only package that knows SQL; the domain types live here.
package store

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
)

// Options configures Open. Zero values take defaults.
type Options struct {
	// MasterKey is the 32-byte AES key that seals merchant secrets. Without it,
	// merchants can't be created and their secrets can't be read.
	MasterKey []byte
	// Now is the clock; time.Now by default.
	Now func() time.Time
	// MaxBatch bounds how many writes share one commit (group commit).
	MaxBatch int
	// BusyTimeout is how long a connection waits on a lock.
	BusyTimeout time.Duration
	// OnChange, when set, learns every checkout whose version changed,
	// after the transaction that changed it committed. It is called on the
	// committing caller's goroutine and must not block; calls for one
	// checkout may arrive out of version order when writers race, so keep
	// the highest version seen.
	OnChange func(Checkout)
}

// DB is paysync's SQLite database: one writer connection fed by a
// group-commit loop, and a pool of read connections.
type DB struct {
	write    *sql.DB
	read     *sql.DB
	w        *writer
	sealer   *sealer
	now      func() time.Time
	onChange func(Checkout)
}

// Open opens (creating if needed) the SQLite file at path, sets WAL,
// synchronous=FULL, foreign keys and the busy timeout, applies the embedded
// migrations and starts the writer. Close releases it.
func Open(ctx context.Context, path string, opts Options) (*DB, error) {
	if path == "" {
		return nil, errors.New("open store: empty path")
	}
	busy := cmp.Or(opts.BusyTimeout, 5*time.Second)
	dsn := func(extra string) string {
		return "file:" + url.PathEscape(path) + "?_journal_mode=WAL&_synchronous=FULL&_foreign_keys=on" +
			fmt.Sprintf("&_busy_timeout=%d&_stmt_cache_size=64", busy.Milliseconds()) + extra
	}
	wdb, err := sql.Open("sqlite3", dsn("&_txlock=immediate"))
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	wdb.SetMaxOpenConns(1)
	wdb.SetMaxIdleConns(1)
	wdb.SetConnMaxLifetime(0)
	db := &DB{write: wdb, now: opts.Now, onChange: opts.OnChange}
	if db.now == nil {
		db.now = time.Now
	}
	if len(opts.MasterKey) > 0 {
		if db.sealer, err = newSealer(opts.MasterKey); err != nil {
			wdb.Close()
			return nil, fmt.Errorf("open store: %w", err)
		}
	}
	if err := db.migrate(ctx); err != nil {
		wdb.Close()
		return nil, fmt.Errorf("open store: %w", err)
	}
	rdb, err := sql.Open("sqlite3", dsn("&_query_only=true"))
	if err != nil {
		wdb.Close()
		return nil, fmt.Errorf("open store: %w", err)
	}
	rdb.SetMaxOpenConns(2 * runtime.GOMAXPROCS(0))
	rdb.SetMaxIdleConns(2 * runtime.GOMAXPROCS(0))
	db.read = rdb
	db.w = startWriter(wdb, cmp.Or(opts.MaxBatch, 128))
	return db, nil
}

// Close stops the writer after the writes already queued and closes the
// connections.
func (db *DB) Close() error {
	db.w.stop()
	return errors.Join(db.read.Close(), db.write.Close())
}

// Ping reports whether the database answers and every migration is applied.
func (db *DB) Ping(ctx context.Context) error {
	var n int
	if err := db.read.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil {
		return fmt.Errorf("ping store: %w", err)
	}
	want, err := migrationCount()
	if err != nil {
		return fmt.Errorf("ping store: %w", err)
	}
	if n != want {
		return fmt.Errorf("ping store: %d of %d migrations applied", n, want)
	}
	return nil
}

// changed announces committed versions of checkouts to OnChange.
func (db *DB) changed(before int64, c Checkout) {
	if db.onChange != nil && c.ID != "" && c.Version != before {
		db.onChange(c)
	}
}

// Now returns the store's clock reading, for callers that must agree with it.
func (db *DB) Now() time.Time { return db.now().UTC() }

func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

func nullMS(t *time.Time) sql.NullInt64 {
	if t == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: ms(*t), Valid: true}
}

func timePtr(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMS(v.Int64)
	return &t
}

func nullString(s string) sql.NullString {
	return sql.NullString{String: s, Valid: s != ""}
}
