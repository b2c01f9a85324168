package sqlite

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/paysync/paysync/store"
	"github.com/paysync/paysync/store/sqlite/internal/seed"
)

// queryPlan returns SQLite's plan for q (arguments all NULL).
func queryPlan(t *testing.T, db *testDB, q string, nargs int) string {
	t.Helper()
	plan, err := seed.QueryPlan(context.Background(), db.read, q, make([]any, nargs)...)
	if err != nil {
		t.Fatal(err)
	}
	return plan
}

// The per-callback and per-registration lookups must be index searches,
// not walks over all of a merchant's checkouts or all unmatched callbacks:
// both run inside the single writer.
func TestHotLookupsUseTheirIndexes(t *testing.T) {
	db := newTestDB(t, newFakeClock().Now)
	for _, tc := range []struct {
		name, sql string
		want      []string
	}{
		{"callback match", matchNotificationSQL, []string{"USING INDEX checkouts_reference", "USING INDEX checkouts_provider_ref"}},
		{"provider_ref probe", probeProviderRefSQL, []string{"USING INDEX checkouts_provider_ref", "USING INDEX notifications_unmatched_ref"}},
		{"early callbacks", earlyNotificationsSQL, []string{"USING INDEX notifications_unmatched_txn", "USING INDEX notifications_unmatched_ref"}},
		{"recent unmatched", recentUnmatchedSQL, []string{"USING COVERING INDEX notifications_unmatched_merchant (merchant_id=? AND received_at>?)"}},
		{"unmatched counts", unmatchedCountsSQL, []string{"USING COVERING INDEX notifications_unmatched_merchant (merchant_id=? AND received_at>?)",
			"SEARCH unmatched_totals USING INDEX sqlite_autoindex_unmatched_totals_1 (merchant_id=?)"}},
		{"unmatched totals", unmatchedTotalsSQL, []string{"SEARCH unmatched_totals USING INDEX sqlite_autoindex_unmatched_totals_1 (merchant_id=?)"}},
	} {
		nargs := 4
		switch tc.sql {
		case recentUnmatchedSQL, unmatchedCountsSQL:
			nargs = 2
		case unmatchedTotalsSQL:
			nargs = 1
		}
		plan := queryPlan(t, db, tc.sql, nargs)
		for _, w := range tc.want {
			if !strings.Contains(plan, w) {
				t.Errorf("%s: plan lacks %q:\n%s", tc.name, w, plan)
			}
		}
		if strings.Contains(plan, "SCAN checkouts") || strings.Contains(plan, "SCAN notifications") ||
			strings.Contains(plan, "checkouts_merchant_created") || strings.Contains(plan, "notifications_checkout") {
			t.Errorf("%s: plan walks a table or an unrelated index:\n%s", tc.name, plan)
		}
	}
}

// A callback wakes the poller only when its checkout can still change.
func TestRecordNotificationWokeOnlyWhenCheckable(t *testing.T) {
	clock := newFakeClock()
	db := newTestDB(t, clock.Now)
	ctx := context.Background()
	m := newTestMerchant(t, db)
	settled := claimOne(t, db, m, "ref-settled")
	if _, err := db.Apply(ctx, successFor(settled)); err != nil {
		t.Fatal(err)
	}
	mustRegister(t, db, newPayUnitCheckout(m, "ref-pending", clock.Now().Add(time.Hour)))
	for _, tc := range []struct {
		ref       string
		matched   bool
		wantWoken bool
	}{{"ref-settled", true, false}, {"ref-pending", true, true}, {"ref-unknown", false, false}} {
		rec, err := db.RecordNotification(ctx, store.Notification{MerchantID: m.ID, Provider: store.ProviderPayUnit, TransactionID: tc.ref})
		if err != nil {
			t.Fatal(err)
		}
		if (rec.CheckoutID != "") != tc.matched || rec.Woke != tc.wantWoken {
			t.Errorf("%s: checkout %q woke %v; want matched %v woke %v", tc.ref, rec.CheckoutID, rec.Woke, tc.matched, tc.wantWoken)
		}
	}
}

// An early callback, kept unmatched, adds nothing to notifications_checkout
// (partial: only the callbacks kept for a checkout), which still serves
// the searches of a checkout's callbacks.
func TestNotificationsCheckoutIndexesOnlyMatched(t *testing.T) {
	db := newTestDB(t, newFakeClock().Now)
	var partial bool
	rows, err := db.read.Query(`SELECT name, partial FROM pragma_index_list('notifications')`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	found := false
	for rows.Next() {
		var name string
		if err := rows.Scan(&name, &partial); err != nil {
			t.Fatal(err)
		}
		if name == "notifications_checkout" {
			found = true
			if !partial {
				t.Error("notifications_checkout indexes every callback, the unmatched too; want a partial index (checkout_id IS NOT NULL)")
			}
		}
	}
	if err := rows.Err(); err != nil || !found {
		t.Fatalf("notifications_checkout found %v, %v", found, err)
	}
	for _, q := range []string{`SELECT id FROM notifications WHERE checkout_id = ? ORDER BY id`,
		`DELETE FROM notifications WHERE checkout_id IN (SELECT value FROM json_each(?))`} {
		if plan := queryPlan(t, db, q, 1); !strings.Contains(plan, "INDEX notifications_checkout (checkout_id=?)") {
			t.Errorf("%s: plan\n%s", q, plan)
		}
	}
}
