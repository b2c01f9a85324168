package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/paysync/paysync/store"
)

// UnmatchedUsage implements store.Tx, through the partial index
// notifications_unmatched_merchant.
func (t *tx) UnmatchedUsage(ctx context.Context, merchantID string, since time.Time) (store.UnmatchedUsage, error) {
	var u store.UnmatchedUsage
	var oldest sql.NullInt64
	err := t.QueryRow(`SELECT count(*), coalesce(sum(length(body)), 0),
		count(CASE WHEN received_at >= ?2 THEN 1 END), min(CASE WHEN received_at >= ?2 THEN received_at END)
		FROM notifications WHERE checkout_id IS NULL AND merchant_id = ?1`, merchantID, ms(since)).
		Scan(&u.Count, &u.Bytes, &u.Recent, &oldest)
	if oldest.Valid {
		u.OldestRecent = fromMS(oldest.Int64)
	}
	return u, err
}

// ProbeWrite implements store.Tx.
func (t *tx) ProbeWrite(ctx context.Context, now time.Time) error {
	_, err := t.Exec(`INSERT INTO readiness_probe (id, probed_at) VALUES (1, ?)
		ON CONFLICT (id) DO UPDATE SET probed_at = excluded.probed_at`, ms(now))
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
