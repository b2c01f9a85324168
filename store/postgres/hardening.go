package postgres

import (
	"context"
	"fmt"
	"time"
)

// RecentUnmatched implements store.Tx, on a range of the partial index
// notifications_unmatched_merchant.
func (t *tx) RecentUnmatched(ctx context.Context, merchantID string, since time.Time) (int, time.Time, error) {
	var n int
	var oldest *int64
	if err := t.QueryRow(t.ctx, `SELECT count(*), min(received_at) FROM notifications
		WHERE checkout_id IS NULL AND merchant_id = $1 AND received_at >= $2`, merchantID, ms(since)).Scan(&n, &oldest); err != nil {
		return 0, time.Time{}, err
	}
	if oldest == nil {
		return n, time.Time{}, nil
	}
	return n, fromMS(*oldest), nil
}

// UnmatchedTotals implements store.Tx: the sum of the merchant's rows,
// kept by the trigger of migrations 0009 and 0017 (a row for each
// transaction that changed them at once, so that early callbacks don't
// wait on each other's commits).
func (t *tx) UnmatchedTotals(ctx context.Context, merchantID string) (int, int64, error) {
	var n int
	var bytes int64
	err := t.QueryRow(t.ctx, `SELECT coalesce(sum(count), 0)::bigint, coalesce(sum(bytes), 0)::bigint FROM unmatched_totals WHERE merchant_id = $1`,
		merchantID).Scan(&n, &bytes)
	return n, bytes, err
}

// ProbeWrite implements store.Tx: the probe row, then an inbox entry
// inserted and deleted again (the callback's write path: an inbox of the
// wrong schema fails readiness).
func (t *tx) ProbeWrite(ctx context.Context, now time.Time) error {
	if _, err := t.exec(`INSERT INTO readiness_probe (id, probed_at) VALUES (1, $1)
		ON CONFLICT (id) DO UPDATE SET probed_at = excluded.probed_at`, ms(now)); err != nil {
		return err
	}
	var id int64
	if err := t.QueryRow(t.ctx, `INSERT INTO inbox (key, merchant_id, provider, transaction_id, provider_checkout_id,
		status, content_type, query, body, received_at) VALUES ('readiness probe', '', '', '', '', '', '', '', '', $1)
		RETURNING id`, ms(now)).Scan(&id); err != nil {
		return fmt.Errorf("probe the inbox: %w", err)
	}
	if _, err := t.exec(`DELETE FROM inbox WHERE id = $1`, id); err != nil {
		return fmt.Errorf("probe the inbox: %w", err)
	}
	return nil
}

// FirstSealedSecrets implements store.Reader.
func (b *Backend) FirstSealedSecrets(ctx context.Context) (string, []byte, error) {
	var id string
	var sealed []byte
	err := b.pool.QueryRow(ctx, `SELECT id, secrets FROM merchants ORDER BY id LIMIT 1`).Scan(&id, &sealed)
	if isNoRows(err) {
		return "", nil, errMerchantNotFound()
	}
	return id, sealed, err
}
