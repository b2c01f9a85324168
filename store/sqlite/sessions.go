package sqlite

import (
	"context"
	"time"
)

// RevokeSession implements store.Tx.
func (t *tx) RevokeSession(ctx context.Context, id string, until, now time.Time) error {
	if _, err := t.Exec(`DELETE FROM console_revoked WHERE until <= ?`, ms(now)); err != nil {
		return err
	}
	_, err := t.Exec(`INSERT INTO console_revoked (id, until) VALUES (?, ?) ON CONFLICT (id) DO NOTHING`, id, ms(until))
	return err
}

// SessionRevoked implements store.Reader.
func (b *Backend) SessionRevoked(ctx context.Context, id string) (bool, error) {
	var revoked bool
	err := b.read.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM console_revoked WHERE id = ?)`, id).Scan(&revoked)
	return revoked, err
}
