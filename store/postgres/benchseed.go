package postgres

// This file is for benchmarks and tests only: it bypasses registration's
// checks and event log to fill a database quickly.

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/paysync/paysync/store"
)

// SeedPendingCheckouts inserts n pending PayUnit checkouts for the
// merchant with COPY, references prefix-0 … prefix-(n-1), amount "10"
// XAF, the i-th due at due(i). Like store/sqlite's, it writes no events
// and does no duplicate checks: for benchmarks and tests, never requests.
// It returns the ids in order.
func (b *Backend) SeedPendingCheckouts(ctx context.Context, merchantID, prefix string, n int, due func(i int) time.Time) ([]string, error) {
	ids := make([]string, n)
	now := ms(time.Now())
	rows := make([][]any, n)
	for i := range n {
		ids[i] = "chk_" + uuid.NewString()
		rows[i] = []any{ids[i], merchantID, store.ProviderPayUnit, fmt.Sprintf("%s-%d", prefix, i), "10", "XAF",
			uuid.NewString(), string(store.StatePending), ms(due(i)), now, now, int64(1)}
	}
	_, err := b.pool.CopyFrom(ctx, pgx.Identifier{"checkouts"},
		[]string{"id", "merchant_id", "provider", "reference", "amount", "currency", "token", "state", "next_check_at", "created_at", "updated_at", "version"},
		pgx.CopyFromRows(rows))
	if err != nil {
		return nil, fmt.Errorf("seed checkouts: %w", err)
	}
	return ids, nil
}

// CountNotifications returns how many provider callbacks are stored.
func (b *Backend) CountNotifications(ctx context.Context) (int, error) {
	var n int
	if err := b.pool.QueryRow(ctx, `SELECT count(*) FROM notifications`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count notifications: %w", err)
	}
	return n, nil
}
