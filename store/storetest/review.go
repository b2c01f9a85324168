package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/paysync/paysync/store"
)

// testHeldAfterEnableGoesOut: two deliveries in flight; one gets 410 Gone
// (the endpoint is disabled), the other's dispatcher saw "disabled" before
// the operator re-enabled the endpoint and records "disabled" after. That
// delivery must go out, not stay held with the endpoint enabled.
func testHeldAfterEnableGoesOut(t *testing.T, r *rig) {
	ctx := context.Background()
	r.settle("gone")
	r.settle("seen-disabled")
	ds, err := r.db.ClaimDeliveries(ctx, 10, time.Minute)
	if err != nil || len(ds) != 2 {
		t.Fatalf("claim = %d, %v", len(ds), err)
	}
	now := r.clock.Now()
	if err := r.db.RecordAttempt(ctx, store.AttemptResult{DeliveryID: ds[0].ID, ClaimSeq: ds[0].ClaimSeq, Disable: true,
		Status: store.DeliveryDisabled, Attempt: &store.DeliveryAttempt{At: now, URL: "https://shop.example/hooks", StatusCode: 410}}); err != nil {
		t.Fatal(err)
	}
	if ep, err := r.db.WebhookEndpoint(ctx, r.merchant.ID); err != nil || !ep.Disabled {
		t.Fatalf("endpoint after 410: %+v, %v", ep, err)
	}
	if _, err := r.db.EnableWebhook(ctx, r.merchant.ID); err != nil {
		t.Fatal(err)
	}
	if err := r.db.RecordAttempt(ctx, store.AttemptResult{DeliveryID: ds[1].ID, ClaimSeq: ds[1].ClaimSeq,
		Status: store.DeliveryDisabled}); err != nil {
		t.Fatal(err)
	}
	all, err := r.db.Deliveries(ctx, r.merchant.ID, store.DeliveryFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range all {
		if d.Status != store.DeliveryPending || d.NextAttemptAt == nil {
			t.Errorf("delivery %s is %s (next %v) with the endpoint enabled: it would never be sent", d.ID, d.Status, d.NextAttemptAt)
		}
	}
}

// testCallbackAdoptedWhenProviderRefLearned: a callback naming only the
// provider's checkout id is stored unmatched; when a status check teaches
// the checkout that id, the callback is adopted (attached, logged) and the
// checkout is due at once, even if polling had just given up on it.
func testCallbackAdoptedWhenProviderRefLearned(t *testing.T, r *rig) {
	ctx := context.Background()
	c := r.register("by-ref", r.clock.Now().Add(-time.Second))
	rec, err := r.db.RecordNotification(ctx, store.Notification{MerchantID: r.merchant.ID, Provider: store.ProviderPayUnit,
		ProviderCheckoutID: "pay_123", Status: "SUCCESS", Body: []byte(`{"checkout_id":"pay_123"}`)})
	if err != nil || rec.CheckoutID != "" {
		t.Fatalf("early callback = %+v, %v; want stored unmatched", rec, err)
	}
	claimed, err := r.db.ClaimDue(ctx, 10, time.Minute)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claim = %d, %v", len(claimed), err)
	}
	k := claimed[0]
	after, err := r.db.Apply(ctx, store.Observation{CheckoutID: k.ID, Version: k.Version, WakeSeq: k.WakeSeq, ClaimSeq: k.ClaimSeq,
		Checked: true, State: store.StatePending, ProviderStatus: "PENDING", ProviderRef: "pay_123", Attempts: 1, Expire: true})
	if err != nil || after.ProviderRef != "pay_123" {
		t.Fatalf("Apply = %+v, %v", after, err)
	}
	got, err := r.db.Checkout(ctx, r.merchant.ID, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.CallbackReceivedAt == nil || got.NextCheckAt == nil || got.NextCheckAt.After(r.clock.Now()) {
		t.Fatalf("after learning pay_123: callback_received_at %v, next check %v; want the callback adopted and a check due now",
			got.CallbackReceivedAt, got.NextCheckAt)
	}
	evs, _ := r.db.Events(ctx, r.merchant.ID, c.ID)
	adopted := 0
	for _, e := range evs {
		if e.Type == store.EventCallbackReceived {
			adopted++
		}
	}
	if adopted != 1 {
		t.Fatalf("%d callback_received events, want the adopted one", adopted)
	}
}
