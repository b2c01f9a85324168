package sqlite

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/paysync/paysync/store"
)

// applyTo claims c and applies o to it.
func applyTo(t *testing.T, db *testDB, id string, o store.Observation) store.Checkout {
	t.Helper()
	claimed, err := db.ClaimDue(context.Background(), 10, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range claimed {
		if c.ID == id {
			o.CheckoutID, o.Version, o.WakeSeq, o.ClaimSeq, o.Checked = c.ID, c.Version, c.WakeSeq, c.ClaimSeq, true
			now := db.Now()
			o.NextCheckAt = &now
			after, err := db.Apply(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			return after
		}
	}
	t.Fatalf("%s not due", id)
	return store.Checkout{}
}

func TestOutboxOneDeliveryPerTransition(t *testing.T) {
	clock := newFakeClock()
	db := newTestDB(t, clock.Now)
	m := newTestMerchant(t, db)
	ctx := context.Background()
	c, _, err := db.RegisterCheckout(ctx, store.NewCheckout{MerchantID: m.ID, Provider: store.ProviderPayUnit, Reference: "r1",
		Amount: "10", Currency: "XAF", FirstCheckAt: clock.Now()})
	if err != nil {
		t.Fatal(err)
	}
	types := func() []string {
		ds, err := db.Deliveries(ctx, m.ID, store.DeliveryFilter{CheckoutID: c.ID})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, d := range ds {
			out = append(out, d.Type)
		}
		return out
	}
	applyTo(t, db, c.ID, store.Observation{State: store.StatePending, ProviderStatus: "PENDING"})
	if got := types(); len(got) != 0 {
		t.Fatalf("no change announced %v", got)
	}
	// A success for the wrong amount: an anomaly, no state change.
	applyTo(t, db, c.ID, store.Observation{State: store.StateSucceeded, ProviderStatus: "SUCCESS", Amount: "9", Currency: "XAF"})
	applyTo(t, db, c.ID, store.Observation{State: store.StateSucceeded, ProviderStatus: "SUCCESS", Amount: "9", Currency: "XAF"})
	if got := types(); len(got) != 1 || got[0] != store.WebhookAnomaly {
		t.Fatalf("after a repeated anomaly: %v, want one checkout.anomaly", got)
	}
	after := applyTo(t, db, c.ID, store.Observation{State: store.StateSucceeded, ProviderStatus: "SUCCESS", Amount: "10", Currency: "XAF"})
	got := types()
	if len(got) != 2 || got[0] != store.WebhookSucceeded {
		t.Fatalf("deliveries %v, want checkout.succeeded then the anomaly", got)
	}
	ds, _ := db.Deliveries(ctx, m.ID, store.DeliveryFilter{CheckoutID: c.ID})
	if ds[0].Version != after.Version || ds[0].Checkout.State != store.StateSucceeded || ds[0].Status != store.DeliveryPending {
		t.Fatalf("delivery %+v", ds[0])
	}

	// The repeat of a (checkout, version, type) is refused by the schema itself.
	err = db.b.Write(ctx, func(tx store.Tx) error {
		now := clock.Now()
		return tx.InsertDelivery(ctx, store.Delivery{ID: "msg_repeat", MerchantID: m.ID, CheckoutID: c.ID, Version: after.Version,
			Type: store.WebhookSucceeded, Checkout: after, Status: store.DeliveryPending, NextAttemptAt: &now, CreatedAt: now, UpdatedAt: now})
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(types()); n != 2 {
		t.Fatalf("a second enqueue of the same version made %d deliveries", n)
	}
}

func TestDeliveryClaimUsesIndex(t *testing.T) {
	db := newTestDB(t, nil)
	detail := queryPlan(t, db, `SELECT id FROM deliveries WHERE next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?`, 2)
	if want := "deliveries_due"; !strings.Contains(detail, want) {
		t.Fatalf("plan %q does not use %s", detail, want)
	}
}
