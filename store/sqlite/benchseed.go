package sqlite

// This file is for benchmarks and tests only: it bypasses registration's
// checks and event log to fill a database quickly.

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/paysync/paysync/store"
)

// SeedPendingCheckouts inserts n pending PayUnit checkouts for the merchant
// in transactions of up to 10,000 rows, references prefix-0 … prefix-(n-1),
// amount "10" XAF, the i-th due at due(i). It writes no registration events
// and does no duplicate checks: it is for benchmarks and tests, never for
// requests. It returns the ids in order.
func (b *Backend) SeedPendingCheckouts(ctx context.Context, merchantID, prefix string, n int, due func(i int) time.Time) ([]string, error) {
	ids := make([]string, 0, n)
	for start := 0; start < n; start += 10000 {
		end := min(n, start+10000)
		err := b.exec(ctx, func(tx *sql.Tx) error {
			stmt, err := tx.Prepare(`INSERT INTO checkouts (id, merchant_id, provider, reference, amount, currency,
				token, state, next_check_at, created_at, updated_at, version) VALUES (?,?,?,?,?,?,?,?,?,?,?,1)`)
			if err != nil {
				return err
			}
			defer stmt.Close()
			now := ms(time.Now())
			for i := start; i < end; i++ {
				id := "chk_" + uuid.NewString()
				if _, err := stmt.Exec(id, merchantID, store.ProviderPayUnit, fmt.Sprintf("%s-%d", prefix, i), "10", "XAF",
					uuid.NewString(), string(store.StatePending), ms(due(i)), now, now); err != nil {
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
func (b *Backend) CountNotifications(ctx context.Context) (int, error) {
	var n int
	if err := b.read.QueryRowContext(ctx, `SELECT count(*) FROM notifications`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count notifications: %w", err)
	}
	return n, nil
}

// ClaimQueryPlan returns SQLite's plan for the claim's inner query, so
// tests and benchmarks can show it uses the index.
func (b *Backend) ClaimQueryPlan(ctx context.Context) (string, error) {
	plan, err := b.QueryPlan(ctx, `SELECT id FROM checkouts WHERE next_check_at <= ? ORDER BY next_check_at LIMIT ?`, 0, 1)
	if err != nil {
		return "", fmt.Errorf("claim plan: %w", err)
	}
	return plan + "\n", nil
}

// QueryPlan returns SQLite's plan for q with args (EXPLAIN QUERY PLAN),
// one step a line, for tests and benchmarks that pin a query to its index.
func (b *Backend) QueryPlan(ctx context.Context, q string, args ...any) (string, error) {
	rows, err := b.read.QueryContext(ctx, `EXPLAIN QUERY PLAN `+q, args...)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			return "", err
		}
		plan = append(plan, detail)
	}
	return strings.Join(plan, "\n"), rows.Err()
}
