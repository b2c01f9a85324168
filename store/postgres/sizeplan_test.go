package postgres

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/paysync/paysync/store"
	"github.com/paysync/paysync/store/internal/rowscan"
)

// sizedRows is the table size the plans below are pinned at: the issue's
// 203,000 checkouts, where the console's counts took 235 ms and the
// claim's generic plan 567 ms (sequential scans).
const sizedRows = 200_000

// seedSized gives the planner sizedRows checkouts as a busy service has
// them (every 25th the merchant 'm”s): 90 % settled over the last 31
// days (each resolved by a callback, the poller or the buyer's return),
// 10 % pending, of which a tenth due now and the rest later; and their
// statistics, and the visibility map of a vacuumed table.
func seedSized(t *testing.T, b *Backend, now time.Time) {
	t.Helper()
	nowMS := rowscan.MS(now)
	for _, stmt := range []string{
		`INSERT INTO merchants (id, name, api_key_hash, hook_token, secrets, created_at)
			VALUES ('m', 'm', '\x01', 'hook-m', '\x00', 0), ('o', 'o', '\x02', 'hook-o', '\x00', 0)`,
		`INSERT INTO checkouts (id, merchant_id, provider, reference, amount, currency, token, state, resolved_by,
				next_check_at, created_at, updated_at, settled_at, version)
			SELECT 'chk_' || i, CASE WHEN i % 25 = 0 THEN 'm' ELSE 'o' END, 'payunit', 'order-' || i, '10', 'XAF', 'tok-' || i,
				CASE WHEN i % 10 = 0 THEN 'pending' ELSE (ARRAY['succeeded','succeeded','succeeded','failed','cancelled','expired'])[1 + i % 6] END,
				CASE WHEN i % 10 = 0 THEN '' ELSE (ARRAY['callback','poll','browser_return'])[1 + i % 3] END,
				CASE WHEN i % 10 <> 0 THEN NULL WHEN i % 100 = 0 THEN ` + itoa(nowMS) + ` - 1000 ELSE ` + itoa(nowMS) + ` + i * 10 END,
				` + itoa(nowMS) + ` - (i % 31) * 86400000 - i, ` + itoa(nowMS) + ` - (i % 31) * 86400000 - i,
				CASE WHEN i % 10 = 0 THEN NULL ELSE ` + itoa(nowMS) + ` - (i % 31) * 86400000 - i END, 1
			FROM generate_series(1::bigint, ` + itoa(sizedRows) + `) AS i`,
		`VACUUM ANALYZE merchants, checkouts`,
	} {
		if _, err := b.pool.Exec(context.Background(), stmt); err != nil {
			t.Fatalf("seed: %v", err)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// explainAs returns PostgreSQL's plan for q with args as paysync runs it:
// customPlan (an unnamed statement, planned for the values) unless
// generic, when it is planned as a prepared statement that switched to
// its generic plan. Sequential scans are allowed: the planner's own
// choice at this size is what is pinned.
func explainAs(t *testing.T, b *Backend, q string, args []any, generic bool) string {
	t.Helper()
	ctx := context.Background()
	conn, err := b.pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	mode := "auto"
	if generic {
		mode = "force_generic_plan"
	}
	if _, err := conn.Exec(ctx, `SET plan_cache_mode = `+mode); err != nil {
		t.Fatal(err)
	}
	defer conn.Exec(ctx, `RESET plan_cache_mode`)
	tx, err := conn.Begin(ctx) // the claim's EXPLAIN ANALYZE would lease: roll it back
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	var rows pgx.Rows
	if generic {
		if _, err := tx.Exec(ctx, `PREPARE sized AS `+q); err != nil {
			t.Fatal(err)
		}
		defer tx.Exec(ctx, `DEALLOCATE sized`)
		params := make([]string, len(args)) // EXECUTE takes values, not parameters
		for i, a := range args {
			switch v := a.(type) {
			case int:
				params[i] = strconv.Itoa(v)
			case int64:
				params[i] = itoa(v)
			case string:
				params[i] = "'" + strings.ReplaceAll(v, "'", "''") + "'"
			default:
				t.Fatalf("argument %T", a)
			}
		}
		rows, err = tx.Query(ctx, `EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON) EXECUTE sized(`+strings.Join(params, ", ")+`)`)
	} else {
		rows, err = tx.Query(ctx, `EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON) `+q, append([]any{customPlan}, args...)...)
	}
	if err != nil {
		t.Fatal(err)
	}
	plan, err := readPlan(rows)
	if err != nil {
		t.Fatal(err)
	}
	return plan
}

// TestSizedQueriesStayOffTheTable pins, at 200,000 checkouts, the plans
// of the queries issue 21 found scanning the table: the claim and the
// backlog's count (range conditions on a parameter, run with customPlan
// so that they are planned for the values, since their generic plans
// scan), and the console overview's counts by state and settled-by share,
// for the operator and for one merchant (index-only walks and ranges of
// the indexes of migration 0016).
func TestSizedQueriesStayOffTheTable(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds 200,000 checkouts")
	}
	b := openTest(t)
	defer b.Close()
	now := time.Now()
	seedSized(t, b, now)
	since := rowscan.MS(now.Add(-24 * time.Hour))
	operator, merchant := scoped(store.Scope{All: true}), scoped(store.Scope{MerchantID: "m"})
	settled := func(c *conds) *conds { c.add(`resolved_by <> ''`); c.add(`updated_at >= ?`, since); return c }
	opSettled, mSettled := settled(scoped(store.Scope{All: true})), settled(scoped(store.Scope{MerchantID: "m"}))
	claim := `SELECT id, next_check_at FROM checkouts WHERE next_check_at <= $1 ORDER BY next_check_at LIMIT $2 FOR UPDATE SKIP LOCKED`
	for _, tc := range []struct {
		name, sql string
		args      []any
		index     string // one of these, |-separated
	}{
		{"claim (its picking part)", claim, []any{rowscan.MS(now), 64}, "checkouts_due"},
		{"backlog count", countDueSQL, []any{rowscan.MS(now), countDueExact}, "checkouts_due"},
		{"backlog count, in full", countAllDueSQL, []any{rowscan.MS(now)}, "checkouts_due"},
		{"counts by state, operator", countByStateSQL(operator), operator.args, "checkouts_state"},
		{"counts by state, merchant", countByStateSQL(merchant), merchant.args, "checkouts_merchant_state"},
		{"settled by, operator", settledBySQL(opSettled), opSettled.args, "checkouts_resolved"},
		{"settled by, merchant", settledBySQL(mSettled), mSettled.args, "checkouts_merchant_resolved"},
	} {
		plan := explainAs(t, b, tc.sql, tc.args, false)
		used := false
		for _, index := range strings.Split(tc.index, "|") {
			used = used || strings.Contains(plan, " using "+index+" ") || strings.Contains(plan, " on "+index)
		}
		if !used || strings.Contains(plan, "Seq Scan") {
			t.Errorf("%s: plan does not walk %s alone:\n%s", tc.name, tc.index, plan)
		}
		t.Logf("%s, as run:\n%s", tc.name, plan)
		if tc.index == "checkouts_due" {
			t.Logf("%s, its generic plan (why it runs with customPlan):\n%s", tc.name, explainAs(t, b, tc.sql, tc.args, true))
		}
	}
}
