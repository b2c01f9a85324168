package store

import (
	"context"
	"fmt"
	"time"
)

// RevokeSession signs the console session id out everywhere: every
// instance over the database refuses it from now until it would have
// expired (until), whoever holds a copy of its cookie.
func (db *DB) RevokeSession(ctx context.Context, id string, until time.Time) error {
	if err := db.write(ctx, func(tx Tx) error { return tx.RevokeSession(ctx, id, until, db.Now()) }); err != nil {
		return fmt.Errorf("revoke console session: %w", err)
	}
	return nil
}

// SessionRevoked reports whether the console session id was signed out.
func (db *DB) SessionRevoked(ctx context.Context, id string) (bool, error) {
	revoked, err := db.b.SessionRevoked(ctx, id)
	if err != nil {
		return false, fmt.Errorf("read console session: %w", err)
	}
	return revoked, nil
}
