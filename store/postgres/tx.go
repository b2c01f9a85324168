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
//
// Statements whose result nothing reads (an event appended, a lock
// taken, a NOTIFY; see later) are not sent at once: they wait in queued
// and go, in one round trip (a pgx batch, pipelined), with the next
// statement whose result is read, or before the commit. A transaction of
// the drain, which used to cost a round trip for each of its eight
// statements per callback, costs two per callback this way. An error of
// a queued statement surfaces at that next statement (the transaction is
// aborted either way, and every Tx error aborts the write).
type tx struct {
	ctx     context.Context
	tx      pgx.Tx
	channel string
	live    *liveness  // this instance's liveness session, for the claims
	queued  *pgx.Batch // statements sent with the next round trip
}

var _ store.Tx = (*tx)(nil)

// QueryRow runs a statement returning one row when its Scan is called,
// in one round trip with the queued statements.
func (t *tx) QueryRow(_ context.Context, sql string, args ...any) pgx.Row {
	return &pipelinedRow{t: t, sql: sql, args: args}
}

// pipelinedRow is a row read in one round trip with the statements queued
// before it.
type pipelinedRow struct {
	t    *tx
	sql  string
	args []any
}

// Scan implements pgx.Row.
func (r *pipelinedRow) Scan(dest ...any) error {
	b := r.t.take()
	if b == nil {
		return r.t.tx.QueryRow(r.t.ctx, r.sql, r.args...).Scan(dest...)
	}
	b.Queue(r.sql, r.args...).QueryRow(func(row pgx.Row) error { return row.Scan(dest...) })
	return r.t.tx.SendBatch(r.t.ctx, b).Close()
}

// exec runs a statement whose command tag is read, in one round trip with
// the queued statements.
func (t *tx) exec(sql string, args ...any) (pgconn.CommandTag, error) {
	b := t.take()
	if b == nil {
		return t.tx.Exec(t.ctx, sql, args...)
	}
	var tag pgconn.CommandTag
	b.Queue(sql, args...).Exec(func(ct pgconn.CommandTag) error { tag = ct; return nil })
	return tag, t.tx.SendBatch(t.ctx, b).Close()
}

// query runs a statement returning rows, after the queued statements.
func (t *tx) query(sql string, args ...any) (pgx.Rows, error) {
	if err := t.flush(); err != nil {
		return nil, err
	}
	return t.tx.Query(t.ctx, sql, args...)
}

// later queues a statement whose result nothing reads: it is sent with
// the next one that is read, or by flush.
func (t *tx) later(sql string, args ...any) {
	if t.queued == nil {
		t.queued = &pgx.Batch{}
	}
	t.queued.Queue(sql, args...)
}

// take returns the queued statements (nil when none) and empties the queue.
func (t *tx) take() *pgx.Batch {
	b := t.queued
	t.queued = nil
	if b == nil || b.Len() == 0 {
		return nil
	}
	return b
}

// flush sends the queued statements, in one round trip.
func (t *tx) flush() error {
	if b := t.take(); b != nil {
		if err := t.tx.SendBatch(t.ctx, b).Close(); err != nil {
			return fmt.Errorf("queued statements: %w", err)
		}
	}
	return nil
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
	if err := t.flush(); err != nil {
		return pgconn.CommandTag{}, err
	}
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
	t.later(`SELECT pg_notify($1, $2)`, t.channel, payload)
	return nil
}
