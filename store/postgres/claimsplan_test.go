package postgres

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/paysync/paysync/store/internal/rowscan"
)

// TestReleaseWalksTheClaimsHeld pins the plan of ReleaseGone's statement
// right after a bulk load, before any ANALYZE (autovacuum kept off): with
// claimsPlan it walks the claims' partial index, without JIT. Without it
// the planner, knowing nothing of the 120,000 checkouts, scanned them all
// and JIT-compiled the scan: 1.6-3.7 s a run, every 2 s, under the
// bench's load.
func TestReleaseWalksTheClaimsHeld(t *testing.T) {
	if testing.Short() {
		t.Skip("loads 120,000 checkouts")
	}
	b := openTest(t)
	defer b.Close()
	ctx := context.Background()
	now := time.Now()
	for _, stmt := range []string{
		`ALTER TABLE checkouts SET (autovacuum_enabled = false)`,
		`INSERT INTO merchants (id, name, api_key_hash, hook_token, secrets, created_at) VALUES ('m', 'm', '\x01', 'hook-m', '\x00', 0)`,
		`INSERT INTO checkouts (id, merchant_id, provider, reference, amount, currency, token, state, next_check_at, created_at, updated_at, version)
			SELECT 'chk_' || i, 'm', 'payunit', 'order-' || i, '10', 'XAF', 'tok-' || i, 'pending', ` + itoa(rowscan.MS(now)) + `, 0, 0, 1
			FROM generate_series(1, 120000) AS i`,
	} {
		if _, err := b.pool.Exec(ctx, stmt); err != nil {
			t.Fatalf("seed: %v", err)
		}
	}
	q := `WITH gone AS (` + goneSQL + `),
		c AS (UPDATE checkouts SET lease_until = NULL WHERE lease_until > $1 AND claimed_by IS NOT NULL
			AND (claimed_by IN (SELECT id FROM gone) OR NOT EXISTS (SELECT 1 FROM instances i WHERE i.id = claimed_by)) RETURNING 1)
		SELECT (SELECT count(*) FROM gone), (SELECT count(*) FROM c)`
	plan := func(setup string) string {
		var out string
		err := pgx.BeginFunc(ctx, b.pool, func(tx pgx.Tx) error {
			if setup != "" {
				if _, err := tx.Exec(ctx, setup); err != nil {
					return err
				}
			}
			rows, err := tx.Query(ctx, `EXPLAIN (COSTS OFF) `+q, customPlan, rowscan.MS(now), 6.0)
			if err != nil {
				return err
			}
			out, err = readPlan(rows)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	if p := plan(""); !strings.Contains(p, "Seq Scan on checkouts") {
		t.Logf("without claimsPlan the planner no longer scans the table here (good news, but the pin below proves less):\n%s", p)
	}
	p := plan(claimsPlan)
	if strings.Contains(p, "Seq Scan on checkouts") || !strings.Contains(p, "checkouts_claimed") {
		t.Fatalf("ReleaseGone's statement does not walk the claims held:\n%s", p)
	}
}
