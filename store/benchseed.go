package store

// This file is for benchmarks and tests only: it bypasses registration's
// checks and event log to fill a database quickly.

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// SeedPendingCheckouts inserts n pending PayUnit checkouts for the merchant
// in transactions of up to 10,000 rows, references prefix-0 … prefix-(n-1),
// amount "10" XAF, the i-th due at due(i). It writes no registration events
// and does no duplicate checks: it is for benchmarks and tests, never for
// requests. It returns the ids in order.
func (db *DB) SeedPendingCheckouts(ctx context.Context, merchantID, prefix string, n int, due func(i int) time.Time) ([]string, error) {
	ids := make([]string, 0, n)
	for start := 0; start < n; start += 10000 {
		end := min(n, start+10000)
		err := db.exec(ctx, func(tx *sql.Tx) error {
			stmt, err := tx.Prepare(`INSERT INTO checkouts (id, merchant_id, provider, reference, amount, currency,
				token, state, next_check_at, created_at, updated_at, version) VALUES (?,?,?,?,?,?,?,?,?,?,?,1)`)
			if err != nil {
				return err
			}
			defer stmt.Close()
			now := ms(db.Now())
			for i := start; i < end; i++ {
				id := "chk_" + uuid.NewString()
				if _, err := stmt.Exec(id, merchantID, ProviderPayUnit, fmt.Sprintf("%s-%d", prefix, i), "10", "XAF",
					randomToken(24), string(StatePending), ms(due(i)), now, now); err != nil {
					return err
				}
				ids = append(ids, id)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("seed checkouts: %w", err)
		}
	}
	return ids, nil
}

// CountNotifications returns how many provider callbacks are stored, for
// benchmarks and tests that check every acknowledged callback was kept.
func (db *DB) CountNotifications(ctx context.Context) (int, error) {
	var n int
	if err := db.read.QueryRowContext(ctx, `SELECT count(*) FROM notifications`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count notifications: %w", err)
	}
	return n, nil
}
