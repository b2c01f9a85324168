package sqlite

import (
	"context"
	"testing"
	"time"

	"github.com/paysync/paysync/store"
)

func TestSeedPendingCheckoutsAreClaimableInDueOrder(t *testing.T) {
	clock := newFakeClock()
	db := newTestDB(t, clock.Now)
	m := newTestMerchant(t, db)
	ctx := context.Background()
	base := clock.Now()
	// Due times in reverse order of insertion, spanning two seed batches.
	const n = 10005
	ids, err := db.b.SeedPendingCheckouts(ctx, m.ID, "seed", n, func(i int) time.Time { return base.Add(-time.Duration(i) * time.Millisecond) })
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
	if cnt, err := db.b.CountNotifications(ctx); err != nil || cnt != 0 {
		t.Fatalf("CountNotifications = %d, %v; want 0", cnt, err)
	}
	if _, err := db.RecordNotification(ctx, store.Notification{MerchantID: m.ID, Provider: store.ProviderPayUnit, TransactionID: "seed-0"}); err != nil {
		t.Fatal(err)
	}
	if cnt, err := db.b.CountNotifications(ctx); err != nil || cnt != 1 {
		t.Fatalf("CountNotifications = %d, %v; want 1", cnt, err)
	}
}
