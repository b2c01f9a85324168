package sqlitetest_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/paysync/paysync/store"
	"github.com/paysync/paysync/store/sqlite"
	"github.com/paysync/paysync/store/sqlite/sqlitetest"
)

func TestSeedPendingCheckoutsAreClaimableInDueOrder(t *testing.T) {
	ctx := context.Background()
	base := time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC)
	b, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "seed.db"), sqlite.Options{Now: func() time.Time { return base }})
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.New(b, store.Options{MasterKey: make([]byte, 32), Now: func() time.Time { return base }})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	m, err := db.CreateMerchant(ctx, store.NewMerchant{Name: "m"})
	if err != nil {
		t.Fatal(err)
	}
	// Due times in reverse order of insertion, spanning two seed batches.
	const n = 10005
	ids, err := sqlitetest.SeedPendingCheckouts(ctx, b, m.ID, "seed", n, func(i int) time.Time { return base.Add(-time.Duration(i) * time.Millisecond) })
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != n {
		t.Fatalf("%d ids, want %d", len(ids), n)
	}
	got, err := db.ClaimDue(ctx, 2, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	// RETURNING comes in no particular order; the set is what counts.
	if len(got) != 2 || !(got[0].ID == ids[n-1] && got[1].ID == ids[n-2] || got[0].ID == ids[n-2] && got[1].ID == ids[n-1]) {
		t.Fatalf("claimed %v, want the two earliest due %s, %s", got, ids[n-1], ids[n-2])
	}
	c, err := db.Checkout(ctx, m.ID, ids[0])
	if err != nil || c.State != store.StatePending || c.Reference != "seed-0" || c.Version != 1 {
		t.Fatalf("seeded checkout = %+v, %v", c, err)
	}
	if cnt, err := sqlitetest.CountNotifications(ctx, b); err != nil || cnt != 0 {
		t.Fatalf("CountNotifications = %d, %v; want 0", cnt, err)
	}
	if _, err := db.AcceptNotification(ctx, store.Notification{MerchantID: m.ID, Provider: store.ProviderPayUnit, TransactionID: "seed-0"}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.DrainInbox(ctx, 0, 10); err != nil {
		t.Fatal(err)
	}
	if cnt, err := sqlitetest.CountNotifications(ctx, b); err != nil || cnt != 1 {
		t.Fatalf("CountNotifications = %d, %v; want 1", cnt, err)
	}
	plan, err := sqlitetest.ClaimQueryPlan(ctx, b)
	if err != nil || !strings.Contains(plan, "checkouts_due") {
		t.Fatalf("claim plan = %q, %v; want checkouts_due", plan, err)
	}
}

// Seeded settled checkouts are swept with their history, and Checkpoint
// leaves the WAL empty.
func TestSeedSettledCheckoutsAreSwept(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)
	now := at
	b, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "seed.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.New(b, store.Options{MasterKey: make([]byte, 32), Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	m, err := db.CreateMerchant(ctx, store.NewMerchant{Name: "m"})
	if err != nil {
		t.Fatal(err)
	}
	if err := sqlitetest.SeedSettledCheckouts(ctx, b, m.ID, "paid", 20, at); err != nil {
		t.Fatal(err)
	}
	if err := sqlitetest.Checkpoint(ctx, b); err != nil {
		t.Fatal(err)
	}
	now = at.Add(100 * 24 * time.Hour)
	swept, err := db.Sweep(ctx, store.Retention{Settled: 90 * 24 * time.Hour, Unmatched: 72 * time.Hour})
	if err != nil || swept.Checkouts != 20 || swept.Notifications != 20 {
		t.Fatalf("sweep = %+v, %v; want the history of 20 checkouts", swept, err)
	}
}
