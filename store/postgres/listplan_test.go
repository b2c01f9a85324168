package postgres

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/paysync/paysync/store"
)

// explain returns PostgreSQL's plan for q with args, in a transaction
// that also forbids sequential scans, so that a plan that would walk a
// table shows as the costliest index walk instead of passing unnoticed.
func explain(t *testing.T, b *Backend, q string, args []any) string {
	t.Helper()
	ctx := context.Background()
	tx, err := b.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SET LOCAL enable_seqscan = off`); err != nil {
		t.Fatal(err)
	}
	rows, err := tx.Query(ctx, `EXPLAIN `+q, args...)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := readPlan(rows)
	if err != nil {
		t.Fatal(err)
	}
	return plan
}

// seedLists gives the planner 20,000 checkouts in six states, one merchant's
// among many others' (800 are 'm”s, as the operator-wide indexes of the
// console would otherwise look as good), with
// one delivery each, and statistics about them.
func seedLists(t *testing.T, b *Backend) {
	t.Helper()
	for _, stmt := range []string{
		`INSERT INTO merchants (id, name, api_key_hash, hook_token, secrets, created_at)
			VALUES ('m', 'm', '\x01', 'hook-m', '\x00', 0), ('o', 'o', '\x02', 'hook-o', '\x00', 0)`,
		`INSERT INTO checkouts (id, merchant_id, provider, reference, provider_ref, amount, currency, token, state, created_at, updated_at, version)
			SELECT 'chk_' || i, CASE WHEN i % 25 = 0 THEN 'm' ELSE 'o' END,
				CASE WHEN i % 2 = 0 THEN 'payunit' ELSE 'azotte' END,
				CASE WHEN i % 2 = 0 THEN 'order-' || i END, CASE WHEN i % 2 = 1 THEN 'TRK-' || i END,
				'10', 'XAF', 'tok-' || i,
				(ARRAY['pending','action_required','succeeded','failed','cancelled','expired'])[1 + i % 6],
				i * 1000, i * 1000, 1
			FROM generate_series(1, 20000) AS i`,
		`INSERT INTO deliveries (id, merchant_id, checkout_id, version, type, snapshot, status, created_at, updated_at)
			SELECT 'msg_' || id, merchant_id, id, 1, 'checkout.succeeded', '\x00', 'delivered', created_at, created_at FROM checkouts`,
		`ANALYZE merchants, checkouts, deliveries`,
	} {
		if _, err := b.pool.Exec(context.Background(), stmt); err != nil {
			t.Fatalf("seed: %v", err)
		}
	}
}

// Every list filter is an index search, and the long lists (no filter,
// ?state=, the merchant's deliveries) come out of their index in order,
// without a Sort. A reference or provider_ref finds at most one row per
// provider, so sorting those is fine.
func TestListQueriesUseTheirIndexes(t *testing.T) {
	b := openTest(t)
	defer b.Close()
	seedLists(t, b)
	both := []string{store.ProviderPayUnit, store.ProviderAzotte}
	after := &store.CheckoutPosition{CreatedAt: time.Unix(1e9, 0), ID: "chk_x"}
	type query struct {
		sql  string
		args []any
	}
	q := func(sql string, args []any) query { return query{sql, args} }
	for _, tc := range []struct {
		name   string
		q      query
		index  string
		sorted bool
	}{
		{"all", q(listCheckoutsSQL("m", store.CheckoutQuery{Limit: 51})), "checkouts_merchant_created", false},
		{"reference", q(listCheckoutsSQL("m", store.CheckoutQuery{Providers: both, Reference: "order-1", Limit: 51})), "checkouts_reference|checkouts_reference_any", true},
		{"provider_ref", q(listCheckoutsSQL("m", store.CheckoutQuery{Providers: both, ProviderRef: "TRK-1", Limit: 51})), "checkouts_provider_ref|checkouts_provider_ref_any", true},
		{"state", q(listCheckoutsSQL("m", store.CheckoutQuery{State: store.StatePending, Limit: 51})), "checkouts_merchant_state", false},
		{"state, next page", q(listCheckoutsSQL("m", store.CheckoutQuery{State: store.StatePending, After: after, Limit: 51})), "checkouts_merchant_state", false},
		{"deliveries", q(deliveriesSQL("m", "", 50)), "deliveries_merchant_created", false},
		{"deliveries of a checkout", q(deliveriesSQL("m", "chk_x", 50)), "deliveries_checkout", true},
	} {
		plan := explain(t, b, tc.q.sql, tc.q.args)
		used := false
		for _, index := range strings.Split(tc.index, "|") { // any of these (the console's cross-merchant ones serve a lookup as well)
			used = used || strings.Contains(plan, " using "+index+" ")
		}
		if !used {
			t.Errorf("%s: plan does not use %s:\n%s", tc.name, tc.index, plan)
		}
		if strings.Contains(plan, "Seq Scan") {
			t.Errorf("%s: plan walks a table:\n%s", tc.name, plan)
		}
		if !tc.sorted && strings.Contains(plan, "Sort") {
			t.Errorf("%s: plan sorts:\n%s", tc.name, plan)
		}
		t.Logf("%s:\n%s", tc.name, plan)
	}
}
