package postgres

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/paysync/paysync/store"
	"github.com/paysync/paysync/store/internal/rowscan"
)

// ClaimDueCheckouts implements store.Tx: the due rows are picked with FOR
// UPDATE SKIP LOCKED (instances claiming at once take different rows, and
// nobody waits on a row another holds), then leased in the same
// statement, which keeps when each was due and records which instance
// claimed them, and when (instances.go). An instance that lost its
// liveness session claims nothing until it has one again.
func (t *tx) ClaimDueCheckouts(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]store.Checkout, error) {
	owner, ok := t.live.claimant()
	if !ok {
		return nil, nil
	}
	until := ms(now.Add(lease))
	rows, err := t.query(`WITH due AS (
			SELECT id, next_check_at FROM checkouts WHERE next_check_at <= $1
			ORDER BY next_check_at LIMIT $2 FOR UPDATE SKIP LOCKED)
		UPDATE checkouts c SET claimed_due_at = due.next_check_at, next_check_at = $3, lease_until = $3, claim_seq = c.claim_seq + 1, rev = c.rev + 1,
			claimed_by = $4, claimed_at = $1
		FROM due WHERE c.id = due.id
		RETURNING `+prefixed("c.", rowscan.CheckoutColumns)+`, c.claimed_due_at`, customPlan, ms(now), limit, until, nullString(owner))
	if err != nil {
		return nil, fmt.Errorf("claim: %w", err)
	}
	defer rows.Close()
	out, err := rowscan.Collect(rows, rowscan.ClaimedCheckout)
	if err != nil {
		return nil, fmt.Errorf("claim: %w", err)
	}
	return out, nil
}

// ClaimDueDeliveries implements store.Tx, as ClaimDueCheckouts.
func (t *tx) ClaimDueDeliveries(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]store.Delivery, error) {
	owner, ok := t.live.claimant()
	if !ok {
		return nil, nil
	}
	until := ms(now.Add(lease))
	rows, err := t.query(`WITH due AS (
			SELECT id FROM deliveries WHERE next_attempt_at <= $1
			ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED)
		UPDATE deliveries d SET next_attempt_at = $3, lease_until = $3, claim_seq = d.claim_seq + 1, claimed_by = $4, claimed_at = $1
		FROM due WHERE d.id = due.id
		RETURNING `+prefixed("d.", rowscan.DeliveryColumns), customPlan, ms(now), limit, until, nullString(owner))
	if err != nil {
		return nil, fmt.Errorf("claim: %w", err)
	}
	defer rows.Close()
	out, err := rowscan.Collect(rows, rowscan.ScanDelivery)
	if err != nil {
		return nil, fmt.Errorf("claim: %w", err)
	}
	return out, nil
}

// NextCheckoutDue implements store.Reader. Without a liveness session
// nothing is due to this instance (it would claim nothing; its workers
// sleep until woken when the session is back).
func (b *Backend) NextCheckoutDue(ctx context.Context) (time.Time, bool, error) {
	if _, ok := b.live.claimant(); !ok {
		return time.Time{}, false, nil
	}
	return b.minTime(ctx, `SELECT min(next_check_at) FROM checkouts WHERE next_check_at IS NOT NULL`)
}

// NextDeliveryDue implements store.Reader, as NextCheckoutDue.
func (b *Backend) NextDeliveryDue(ctx context.Context) (time.Time, bool, error) {
	if _, ok := b.live.claimant(); !ok {
		return time.Time{}, false, nil
	}
	return b.minTime(ctx, `SELECT min(next_attempt_at) FROM deliveries WHERE next_attempt_at IS NOT NULL`)
}

func (b *Backend) minTime(ctx context.Context, q string) (time.Time, bool, error) {
	var v *int64
	if err := b.pool.QueryRow(ctx, q).Scan(&v); err != nil {
		return time.Time{}, false, err
	}
	if v == nil {
		return time.Time{}, false, nil
	}
	return fromMS(*v), true, nil
}

// countDueExact is how many due checkouts each backlog sample counts;
// a backlog beyond it is counted in full at most every countDueFullEvery.
// A count visits the heap page of every due row (the rows of a backlog
// are the ones being updated, so the visibility map can't answer): 50-240
// ms at 6,000-10,000 due under the bench's pending load (EXPLAIN
// ANALYZE), on the poller's loop before each claim pass, every second.
const (
	countDueExact     = 1000
	countDueFullEvery = 30 * time.Second
)

// countDueSQL counts the due checkouts, up to $2, walking checkouts_due
// from its low end (without the order the planner, expecting the due
// rows spread over the table, would scan it until it found $2 of them:
// 60-360 ms under the bench's pending load). countAllDueSQL counts them
// all.
const (
	countDueSQL    = `SELECT count(*) FROM (SELECT 1 FROM checkouts WHERE next_check_at <= $1 ORDER BY next_check_at LIMIT $2) due`
	countAllDueSQL = `SELECT count(*) FROM checkouts WHERE next_check_at <= $1`
)

// dueCount is the last full count of a backlog larger than countDueExact.
type dueCount struct {
	mu sync.Mutex
	at time.Time
	n  int
}

// CountDueCheckouts implements store.Reader: exact up to countDueExact;
// beyond, the last full count if it is under countDueFullEvery old (the
// backlog is still over countDueExact), else a new one.
func (b *Backend) CountDueCheckouts(ctx context.Context, now time.Time) (int, error) {
	var n int
	if err := b.pool.QueryRow(ctx, countDueSQL, customPlan, ms(now), countDueExact).Scan(&n); err != nil || n < countDueExact {
		return n, err
	}
	b.due.mu.Lock()
	defer b.due.mu.Unlock()
	if !b.due.at.IsZero() && now.Sub(b.due.at) < countDueFullEvery && b.due.n >= countDueExact {
		return b.due.n, nil
	}
	if err := b.pool.QueryRow(ctx, countAllDueSQL, customPlan, ms(now)).Scan(&n); err != nil {
		return 0, err
	}
	b.due.at, b.due.n = now, n
	return n, nil
}
