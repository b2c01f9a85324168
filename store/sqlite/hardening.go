package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/paysync/paysync/store"
)

// recentUnmatchedSQL counts a merchant's unmatched callbacks since ?2.
const recentUnmatchedSQL = `SELECT count(*), min(received_at) FROM notifications
	WHERE checkout_id IS NULL AND merchant_id = ?1 AND received_at >= ?2`

// unmatchedTotalsSQL reads a merchant's unmatched callbacks and their
// bytes from the row the triggers of migration 0011 keep.
const unmatchedTotalsSQL = `SELECT count, bytes FROM unmatched_totals WHERE merchant_id = ?1`

// RecentUnmatched implements store.Tx, on a range of the partial index
// notifications_unmatched_merchant.
func (t *tx) RecentUnmatched(ctx context.Context, merchantID string, since time.Time) (int, time.Time, error) {
	var n int
	var oldest sql.NullInt64
	if err := t.QueryRow(recentUnmatchedSQL, merchantID, ms(since)).Scan(&n, &oldest); err != nil {
		return 0, time.Time{}, err
	}
	if !oldest.Valid {
		return n, time.Time{}, nil
	}
	return n, fromMS(oldest.Int64), nil
}

// UnmatchedTotals implements store.Tx: one row, kept by triggers.
func (t *tx) UnmatchedTotals(ctx context.Context, merchantID string) (int, int64, error) {
	var n int
	var bytes int64
	err := t.QueryRow(unmatchedTotalsSQL, merchantID).Scan(&n, &bytes)
	if err == sql.ErrNoRows {
		return 0, 0, nil
	}
	return n, bytes, err
}

// unmatchedCountsSQL is recentUnmatchedSQL and unmatchedTotalsSQL in one.
const unmatchedCountsSQL = `SELECT count(*), min(received_at),
	coalesce((SELECT count FROM unmatched_totals WHERE merchant_id = ?1), 0),
	coalesce((SELECT bytes FROM unmatched_totals WHERE merchant_id = ?1), 0)
	FROM notifications WHERE checkout_id IS NULL AND merchant_id = ?1 AND received_at >= ?2`

// UnmatchedCounts answers store's unmatchedCounter: RecentUnmatched and
// UnmatchedTotals in one statement.
func (t *tx) UnmatchedCounts(ctx context.Context, merchantID string, since time.Time) (int, time.Time, int, int64, error) {
	var recent, count int
	var bytes int64
	var oldest sql.NullInt64
	if err := t.QueryRow(unmatchedCountsSQL, merchantID, ms(since)).Scan(&recent, &oldest, &count, &bytes); err != nil {
		return 0, time.Time{}, 0, 0, err
	}
	var at time.Time
	if oldest.Valid {
		at = fromMS(oldest.Int64)
	}
	return recent, at, count, bytes, nil
}

// ProbeWrite implements store.Tx: the probe row, then an inbox entry
// inserted and deleted again (the callback's write path: an inbox of the
// wrong schema fails readiness).
func (t *tx) ProbeWrite(ctx context.Context, now time.Time) error {
	if _, err := t.Exec(`INSERT INTO readiness_probe (id, probed_at) VALUES (1, ?)
		ON CONFLICT (id) DO UPDATE SET probed_at = excluded.probed_at`, ms(now)); err != nil {
		return err
	}
	if err := insertInbox(t.Tx, store.InboxEntry{Notification: store.Notification{InboxKey: "readiness probe", Body: []byte{}},
		ReceivedAt: now}); err != nil {
		return fmt.Errorf("probe the inbox: %w", err)
	}
	_, err := t.Exec(`DELETE FROM inbox WHERE id = last_insert_rowid()`)
	return err
}

// FirstSealedSecrets implements store.Reader.
func (b *Backend) FirstSealedSecrets(ctx context.Context) (string, []byte, error) {
	var id string
	var sealed []byte
	err := b.read.QueryRowContext(ctx, `SELECT id, secrets FROM merchants ORDER BY id LIMIT 1`).Scan(&id, &sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil, errMerchantNotFound()
	}
	return id, sealed, err
}
