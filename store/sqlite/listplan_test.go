package sqlite

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/paysync/paysync/store"
	"github.com/paysync/paysync/store/sqlite/internal/seed"
)

// planOf returns SQLite's plan for q with args.
func planOf(t *testing.T, db *testDB, q string, args []any) string {
	t.Helper()
	plan, err := seed.QueryPlan(context.Background(), db.read, q, args...)
	if err != nil {
		t.Fatal(err)
	}
	return plan
}

// Every list filter is an index search: none walks all of a merchant's
// checkouts or deliveries, and the long lists (no filter, ?state=, the
// merchant's deliveries) come out of their index in order, without a
// temporary B-tree. A reference or provider_ref finds at most one row
// per provider, so sorting those few is fine.
func TestListQueriesUseTheirIndexes(t *testing.T) {
	db := newTestDB(t, newFakeClock().Now)
	both := []string{store.ProviderPayUnit, store.ProviderAzotte}
	after := &store.CheckoutPosition{CreatedAt: time.Unix(1e9, 0), ID: "chk_x"}
	for _, tc := range []struct {
		name   string
		sql    string
		args   []any
		index  string
		sorted bool // may use a temporary B-tree
	}{
		{"all", "", nil, "checkouts_merchant_created", false},
		{"reference", "", nil, "checkouts_reference", true},
		{"provider_ref", "", nil, "checkouts_provider_ref", true},
		{"state", "", nil, "checkouts_merchant_state", false},
		{"state, next page", "", nil, "checkouts_merchant_state", false},
		{"deliveries", "", nil, "deliveries_merchant_created", false},
		{"deliveries of a checkout", "", nil, "deliveries_checkout", false},
	} {
		switch tc.name {
		case "all":
			tc.sql, tc.args = listCheckoutsSQL("m", store.CheckoutQuery{Limit: 51})
		case "reference":
			tc.sql, tc.args = listCheckoutsSQL("m", store.CheckoutQuery{Providers: both, Reference: "order-1", Limit: 51})
		case "provider_ref":
			tc.sql, tc.args = listCheckoutsSQL("m", store.CheckoutQuery{Providers: both, ProviderRef: "TRK-1", Limit: 51})
		case "state":
			tc.sql, tc.args = listCheckoutsSQL("m", store.CheckoutQuery{State: store.StatePending, Limit: 51})
		case "state, next page":
			tc.sql, tc.args = listCheckoutsSQL("m", store.CheckoutQuery{State: store.StatePending, After: after, Limit: 51})
		case "deliveries":
			tc.sql, tc.args = deliveriesSQL("m", "", 50)
		case "deliveries of a checkout":
			tc.sql, tc.args = deliveriesSQL("m", "chk_x", 50)
		}
		plan := planOf(t, db, tc.sql, tc.args)
		if !strings.Contains(plan, "USING INDEX "+tc.index+" ") {
			t.Errorf("%s: plan does not search %s:\n%s", tc.name, tc.index, plan)
		}
		if strings.Contains(plan, "SCAN checkouts") || strings.Contains(plan, "SCAN deliveries") && !strings.Contains(plan, "USING INDEX") {
			t.Errorf("%s: plan walks the table:\n%s", tc.name, plan)
		}
		if !tc.sorted && strings.Contains(plan, "TEMP B-TREE") {
			t.Errorf("%s: plan sorts in a temporary B-tree:\n%s", tc.name, plan)
		}
		t.Logf("%s:\n%s", tc.name, plan)
	}
}
