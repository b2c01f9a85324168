package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/paysync/paysync/store"
	"github.com/paysync/paysync/store/internal/rowscan"
)

// ClaimDueCheckouts implements store.Tx in one statement served by the
// checkouts_due index: SET sees the old next_check_at, so claimed_due_at
// keeps when each was due and RETURNING hands it back with the lease.
func (t *tx) ClaimDueCheckouts(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]store.Checkout, error) {
	until := ms(now.Add(lease))
	rows, err := t.Query(`UPDATE checkouts SET claimed_due_at = next_check_at, next_check_at = ?, lease_until = ?, claim_seq = claim_seq + 1, rev = rev + 1
		WHERE id IN (SELECT id FROM checkouts WHERE next_check_at <= ? ORDER BY next_check_at LIMIT ?)
		RETURNING `+rowscan.CheckoutColumns+`, claimed_due_at`, until, until, ms(now), limit)
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

// NextCheckoutDue implements store.Reader.
func (b *Backend) NextCheckoutDue(ctx context.Context) (time.Time, bool, error) {
	return b.minTime(ctx, `SELECT min(next_check_at) FROM checkouts WHERE next_check_at IS NOT NULL`)
}

// NextDeliveryDue implements store.Reader.
func (b *Backend) NextDeliveryDue(ctx context.Context) (time.Time, bool, error) {
	return b.minTime(ctx, `SELECT min(next_attempt_at) FROM deliveries WHERE next_attempt_at IS NOT NULL`)
}

func (b *Backend) minTime(ctx context.Context, q string) (time.Time, bool, error) {
	var v sql.NullInt64
	if err := b.read.QueryRowContext(ctx, q).Scan(&v); err != nil {
		return time.Time{}, false, err
	}
	if !v.Valid {
		return time.Time{}, false, nil
	}
	return fromMS(v.Int64), true, nil
}

// CountDueCheckouts implements store.Reader over the checkouts_due index.
func (b *Backend) CountDueCheckouts(ctx context.Context, now time.Time) (int, error) {
	var n int
	err := b.read.QueryRowContext(ctx, `SELECT count(*) FROM checkouts WHERE next_check_at <= ?`, ms(now)).Scan(&n)
	return n, err
}

// ClaimDueDeliveries implements store.Tx in one statement served by the
// deliveries_due index.
func (t *tx) ClaimDueDeliveries(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]store.Delivery, error) {
	until := ms(now.Add(lease))
	rows, err := t.Query(`UPDATE deliveries SET next_attempt_at = ?, lease_until = ?, claim_seq = claim_seq + 1
		WHERE id IN (SELECT id FROM deliveries WHERE next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?)
		RETURNING `+rowscan.DeliveryColumns, until, until, ms(now), limit)
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
