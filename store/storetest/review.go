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
// checkout is due at once, even if polling had just given up on it:
// whether Apply reads the row first or the observation carries the claim
// (Observation.Claimed, as the poller's do), alone or in a batch beside
// a checkout that learns an id nothing waits under.
func testCallbackAdoptedWhenProviderRefLearned(t *testing.T, r *rig) {
	ctx := context.Background()
	for _, way := range []string{"read", "claimed", "batch"} {
		ref := "pay_" + way
		c := r.register("by-ref-"+way, r.clock.Now().Add(-time.Second))
		rec, err := r.db.RecordNotification(ctx, store.Notification{MerchantID: r.merchant.ID, Provider: store.ProviderPayUnit,
			ProviderCheckoutID: ref, Status: "SUCCESS", Body: []byte(`{"checkout_id":"` + ref + `"}`)})
		if err != nil || rec.CheckoutID != "" {
			t.Fatalf("%s: early callback = %+v, %v; want stored unmatched", way, rec, err)
		}
		var quiet store.Checkout
		if way == "batch" {
			quiet = r.register("quiet-"+way, r.clock.Now().Add(-time.Second))
		}
		claimed, err := r.db.ClaimDue(ctx, 10, time.Minute)
		if err != nil || len(claimed) == 0 {
			t.Fatalf("%s: claim = %d, %v", way, len(claimed), err)
		}
		var obs []store.Observation
		for _, k := range claimed {
			o := store.Observation{CheckoutID: k.ID, Version: k.Version, WakeSeq: k.WakeSeq, ClaimSeq: k.ClaimSeq,
				Checked: true, State: store.StatePending, ProviderStatus: "PENDING", ProviderRef: ref, Attempts: 1, Expire: true}
			if k.ID == quiet.ID {
				o.ProviderRef = "pay_quiet"
			}
			if way != "read" {
				o.Claimed = store.ClaimedAs{MerchantID: k.MerchantID, Provider: k.Provider, ProviderRef: k.ProviderRef}
			}
			obs = append(obs, o)
		}
		var applied []store.Applied
		if way == "batch" {
			applied = r.db.ApplyBatch(ctx, obs)
		} else {
			after, err := r.db.Apply(ctx, obs[0])
			applied = []store.Applied{{Checkout: after, Err: err}}
		}
		for i, a := range applied {
			if a.Err != nil || a.Checkout.ProviderRef != obs[i].ProviderRef {
				t.Fatalf("%s: apply = %+v, %v", way, a.Checkout, a.Err)
			}
		}
		got, err := r.db.Checkout(ctx, r.merchant.ID, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.CallbackReceivedAt == nil || got.NextCheckAt == nil || got.NextCheckAt.After(r.clock.Now()) {
			t.Fatalf("%s: after learning %s: callback_received_at %v, next check %v; want the callback adopted and a check due now",
				way, ref, got.CallbackReceivedAt, got.NextCheckAt)
		}
		evs, _ := r.db.Events(ctx, r.merchant.ID, c.ID)
		if adopted := countEvents(evs, store.EventCallbackReceived); adopted != 1 {
			t.Fatalf("%s: %d callback_received events, want the adopted one", way, adopted)
		}
		if way == "batch" {
			if q, err := r.db.Checkout(ctx, r.merchant.ID, quiet.ID); err != nil || q.ProviderRef != "pay_quiet" || q.CallbackReceivedAt != nil {
				t.Fatalf("%s: the checkout nothing waited for: %+v, %v", way, q, err)
			}
		}
		if _, err := r.db.ClaimDue(ctx, 10, time.Minute); err != nil { // the adopted one, due again: out of the next round's claim
			t.Fatal(err)
		}
	}
}
