// Package postgres is the store.Backend for several paysync instances on
// one PostgreSQL database: a pgx connection pool, row locks for the
// store's ForUpdate reads, advisory locks for LockIdentity, claims with
// FOR UPDATE SKIP LOCKED, LISTEN/NOTIFY so that what one instance commits
// wakes the others, and a provider budget shared by every instance.
package postgres

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/paysync/paysync/store"
	"github.com/paysync/paysync/store/internal/migration"
	"github.com/paysync/paysync/store/internal/rowscan"
)

// Options configures Open. Zero values take defaults.
type Options struct {
	// Schema, when set, is the schema paysync's tables live in (created if
	// missing); tests give each database its own. Default: the URL's
	// search_path (public).
	Schema string
	// Now is the clock of the migrations' bookkeeping; time.Now by default.
	Now func() time.Time
	// MaxConns bounds the pool (default 20: transactions wait on the
	// WAL flush, so throughput needs more connections than cores; mind
	// the server's max_connections across instances).
	MaxConns int32
	// TxTimeout bounds one write transaction once it started (30s): the
	// caller's context bounds only the wait for it, as on SQLite.
	TxTimeout time.Duration
}

// Backend is paysync's PostgreSQL database.
type Backend struct {
	pool      *pgxpool.Pool
	connURL   string // for the LISTEN connection
	schema    string
	channel   string // the NOTIFY channel of this schema
	txTimeout time.Duration
	live      liveness // this instance's liveness session (instances.go)
	due       dueCount // the last full count of a large backlog (claims.go)
}

var _ store.Backend = (*Backend)(nil)

// IsURL reports whether dsn names a PostgreSQL database (postgres:// or
// postgresql://) rather than a SQLite file.
func IsURL(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// Open connects to the database at url, applies the embedded migrations
// under an advisory lock (instances starting together take turns) and
// returns the backend. Close releases it.
func Open(ctx context.Context, url string, opts Options) (*Backend, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err) // pgx keeps passwords out of its parse errors
	}
	if opts.MaxConns > 0 {
		cfg.MaxConns = opts.MaxConns
	} else if !strings.Contains(url, "pool_max_conns") {
		cfg.MaxConns = 20 // a URL's pool_max_conns wins
	}
	b := &Backend{connURL: url, schema: opts.Schema, channel: "paysync_changes",
		txTimeout: cmp.Or(opts.TxTimeout, 30*time.Second)}
	// Durable before acknowledged: a commit returns after the WAL flush,
	// whatever the server's default (a session setting wins over it).
	cfg.ConnConfig.RuntimeParams["synchronous_commit"] = "on"
	if b.schema != "" {
		cfg.ConnConfig.RuntimeParams["search_path"] = b.schema
		// a channel name is an identifier (63 bytes at most): a hash of the schema
		sum := sha256.Sum256([]byte(b.schema))
		b.channel = "paysync_changes_" + hex.EncodeToString(sum[:8])
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	if b.pool, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	if err := b.migrate(ctx, now); err != nil {
		b.pool.Close()
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	return b, nil
}

// Close closes the pool.
func (b *Backend) Close() error {
	b.pool.Close()
	return nil
}

// Ping reports whether the database answers and every migration is applied.
func (b *Backend) Ping(ctx context.Context) error {
	var n int
	if err := b.pool.QueryRow(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil {
		return fmt.Errorf("ping store: %w", err)
	}
	if err := migration.Complete(n, migrationFS); err != nil {
		return fmt.Errorf("ping store: %w", err)
	}
	return nil
}

// Write runs fn in one READ COMMITTED transaction and commits it. ctx
// bounds the wait for a connection; once the transaction started it runs
// to its end (within TxTimeout), so a caller that goes away can't cut a
// write in half. Durability: commits wait for the WAL flush
// (synchronous_commit on), and PostgreSQL shares one flush among the
// transactions committing together (its own group commit).
func (b *Backend) Write(ctx context.Context, fn func(store.Tx) error) error {
	conn, err := b.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("acquire: %w", err)
	}
	defer conn.Release()
	tctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), b.txTimeout)
	defer cancel()
	ptx, err := conn.Begin(tctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	t := &tx{ctx: tctx, tx: ptx, channel: b.channel, live: &b.live}
	if err := runSafely(fn, t); err != nil {
		ptx.Rollback(tctx)
		return err
	}
	if err := t.flush(); err != nil {
		ptx.Rollback(tctx)
		return err
	}
	if err := ptx.Commit(tctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// runSafely turns a panic in fn into an error.
func runSafely(fn func(store.Tx) error, t store.Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("write panicked: %v", p)
		}
	}()
	return fn(t)
}

// customPlan, as a statement's first argument, has pgx run it as an
// unnamed statement, which PostgreSQL plans for its parameters' values
// every time. A range condition on a parameter (next_check_at <= $1)
// otherwise gets, after five runs of a prepared statement, a generic
// plan that assumes a third of the table matches and scans it all: the
// claim and the backlog's count took 20 and 316 ms instead of 1 (issue
// 21). Pinned by TestRangeQueriesPlanForTheirValues.
const customPlan = pgx.QueryExecModeExec

// queryRower is a transaction or the pool.
type queryRower interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// The time and NULL encodings are rowscan's, shared with SQLite.
func ms(t time.Time) int64 { return rowscan.MS(t) }

func fromMS(v int64) time.Time { return rowscan.FromMS(v) }

func nullMS(t *time.Time) *int64 { return rowscan.NullMS(t) }

func timePtr(v *int64) *time.Time { return rowscan.TimePtr(v) }

func nullString(s string) *string { return rowscan.NullString(s) }

var errNoRows = pgx.ErrNoRows

func isNoRows(err error) bool { return errors.Is(err, errNoRows) }
