package postgres

import (
	"context"
	"time"
)

// RevokeSession implements store.Tx.
func (t *tx) RevokeSession(ctx context.Context, id string, until, now time.Time) error {
	if _, err := t.exec(`DELETE FROM console_revoked WHERE until <= $1`, ms(now)); err != nil {
		return err
	}
	_, err := t.exec(`INSERT INTO console_revoked (id, until) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING`, id, ms(until))
	return err
}

// SessionRevoked implements store.Reader.
func (b *Backend) SessionRevoked(ctx context.Context, id string) (bool, error) {
	var revoked bool
	err := b.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM console_revoked WHERE id = $1)`, id).Scan(&revoked)
	return revoked, err
}
