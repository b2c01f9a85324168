package pgtest

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/paysync/paysync/store"
	"github.com/paysync/paysync/store/internal/rowscan"
)

// SeedPendingCheckouts inserts, on its own connection to the database at
// url, n pending PayUnit checkouts for the merchant with COPY, references
// prefix-0 … prefix-(n-1), amount "10" XAF, the i-th due at due(i). Like
// store/sqlite/sqlitetest's, it writes no events and does no duplicate
// checks: for benchmarks and tests, never requests. It returns the ids in
// order.
func SeedPendingCheckouts(ctx context.Context, url, merchantID, prefix string, n int, due func(i int) time.Time) ([]string, error) {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("seed checkouts: %w", err)
	}
	defer conn.Close(ctx)
	ids := make([]string, n)
	now := rowscan.MS(time.Now())
	rows := make([][]any, n)
	for i := range n {
		ids[i] = "chk_" + uuid.NewString()
		rows[i] = []any{ids[i], merchantID, store.ProviderPayUnit, fmt.Sprintf("%s-%d", prefix, i), "10", "XAF",
			uuid.NewString(), string(store.StatePending), rowscan.MS(due(i)), now, now, int64(1)}
	}
	_, err = conn.CopyFrom(ctx, pgx.Identifier{"checkouts"},
		[]string{"id", "merchant_id", "provider", "reference", "amount", "currency", "token", "state", "next_check_at", "created_at", "updated_at", "version"},
		pgx.CopyFromRows(rows))
	if err != nil {
		return nil, fmt.Errorf("seed checkouts: %w", err)
	}
	return ids, nil
}
