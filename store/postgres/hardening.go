package postgres

import (
	"context"
	"time"

	"github.com/paysync/paysync/store"
)

// UnmatchedUsage implements store.Tx, through the partial index
// notifications_unmatched_merchant.
func (t *tx) UnmatchedUsage(ctx context.Context, merchantID string, since time.Time) (store.UnmatchedUsage, error) {
	var u store.UnmatchedUsage
	var oldest *int64
	err := t.tx.QueryRow(t.ctx, `SELECT count(*), coalesce(sum(octet_length(body)), 0),
		count(*) FILTER (WHERE received_at >= $2), min(received_at) FILTER (WHERE received_at >= $2)
		FROM notifications WHERE checkout_id IS NULL AND merchant_id = $1`, merchantID, ms(since)).
		Scan(&u.Count, &u.Bytes, &u.Recent, &oldest)
	if oldest != nil {
		u.OldestRecent = fromMS(*oldest)
	}
	return u, err
}

// ProbeWrite implements store.Tx.
func (t *tx) ProbeWrite(ctx context.Context, now time.Time) error {
	_, err := t.exec(`INSERT INTO readiness_probe (id, probed_at) VALUES (1, $1)
		ON CONFLICT (id) DO UPDATE SET probed_at = excluded.probed_at`, ms(now))
	return err
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
