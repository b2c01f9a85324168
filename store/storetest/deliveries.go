package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/paysync/paysync/store"
)

// settle registers ref, claims it and applies a success: one delivery
// (checkout.succeeded) is queued.
func (r *rig) settle(ref string) store.Checkout {
	r.t.Helper()
	ctx := context.Background()
	c := r.register(ref, r.clock.Now().Add(-time.Second))
	claimed, err := r.db.ClaimDue(ctx, 100, time.Minute)
	if err != nil {
		r.t.Fatal(err)
	}
	for _, got := range claimed {
		if got.ID == c.ID {
			after, err := r.db.Apply(ctx, observation(got, store.StateSucceeded, "SUCCESS"))
			if err != nil {
				r.t.Fatal(err)
			}
			return after
		}
	}
	r.t.Fatalf("%s was not claimable", ref)
	return store.Checkout{}
}

// testConcurrentDeliveryClaims: dispatchers claiming at once never take
// one delivery twice while its lease holds.
func testConcurrentDeliveryClaims(t *testing.T, r *rig) {
	ctx := context.Background()
	const n = 30
	for i := range n {
		r.settle(fmt.Sprintf("paid-%d", i))
	}
	var mu sync.Mutex
	claimed := map[string]int{}
	together(6, func(int) {
		for {
			got, err := r.db.ClaimDeliveries(ctx, 3, time.Minute)
			if err != nil {
				t.Errorf("ClaimDeliveries: %v", err)
				return
			}
			if len(got) == 0 {
				return
			}
			mu.Lock()
			for _, d := range got {
				claimed[d.ID]++
			}
			mu.Unlock()
		}
	})
	if len(claimed) != n {
		t.Fatalf("%d of %d deliveries claimed", len(claimed), n)
	}
	for id, k := range claimed {
		if k != 1 {
			t.Fatalf("delivery %s claimed %d times under one lease", id, k)
		}
	}
}

// testStaleDeliveryOutcome: a dispatcher whose lease ran out and was taken
// over records its attempt (it happened) but can't overwrite the new
// owner's outcome.
func testStaleDeliveryOutcome(t *testing.T, r *rig) {
	ctx := context.Background()
	r.settle("paid")
	first, err := r.db.ClaimDeliveries(ctx, 10, time.Minute)
	if err != nil || len(first) != 1 {
		t.Fatalf("first claim = %d, %v", len(first), err)
	}
	r.clock.Advance(2 * time.Minute)
	second, err := r.instance().ClaimDeliveries(ctx, 10, time.Minute)
	if err != nil || len(second) != 1 || second[0].ClaimSeq == first[0].ClaimSeq {
		t.Fatalf("takeover claim = %v, %v", second, err)
	}
	now := r.clock.Now()
	delivered := store.AttemptResult{DeliveryID: second[0].ID, ClaimSeq: second[0].ClaimSeq, Status: store.DeliveryDelivered,
		Attempt: &store.DeliveryAttempt{At: now, URL: "https://shop.example/hooks", StatusCode: 204}}
	if err := r.db.RecordAttempt(ctx, delivered); err != nil {
		t.Fatal(err)
	}
	retry := now.Add(time.Minute)
	stale := store.AttemptResult{DeliveryID: first[0].ID, ClaimSeq: first[0].ClaimSeq, Status: store.DeliveryPending, NextAt: &retry,
		Attempt: &store.DeliveryAttempt{At: now, URL: "https://shop.example/hooks", Error: "timeout"}}
	if err := r.db.RecordAttempt(ctx, stale); err != nil {
		t.Fatal(err)
	}
	ds, err := r.db.Deliveries(ctx, r.merchant.ID, store.DeliveryFilter{})
	if err != nil || len(ds) != 1 {
		t.Fatalf("deliveries = %d, %v", len(ds), err)
	}
	if ds[0].Status != store.DeliveryDelivered || ds[0].NextAttemptAt != nil {
		t.Fatalf("delivery is %s next %v after a stale retry: the stale dispatcher overwrote the new owner", ds[0].Status, ds[0].NextAttemptAt)
	}
	if len(ds[0].History) != 2 {
		t.Fatalf("%d attempts recorded, want both", len(ds[0].History))
	}
	if got, _ := r.db.ClaimDeliveries(ctx, 10, time.Minute); len(got) != 0 {
		t.Fatalf("a delivered webhook is due again")
	}
}

// testRecordAttempts: outcomes written in one batch (RecordAttempts) are
// each fenced on their own claim: a stale one records its attempt but
// leaves the new owner's delivery alone, the others land; a batch naming
// an unknown delivery fails whole, recording nothing.
func testRecordAttempts(t *testing.T, r *rig) {
	ctx := context.Background()
	for i := range 3 {
		r.settle(fmt.Sprintf("paid-%d", i))
	}
	first, err := r.db.ClaimDeliveries(ctx, 10, time.Minute)
	if err != nil || len(first) != 3 {
		t.Fatalf("first claim = %d, %v", len(first), err)
	}
	r.clock.Advance(2 * time.Minute)
	second, err := r.instance().ClaimDeliveries(ctx, 1, time.Minute) // takes one over
	if err != nil || len(second) != 1 {
		t.Fatalf("takeover claim = %d, %v", len(second), err)
	}
	now := r.clock.Now()
	ok := &store.DeliveryAttempt{At: now, URL: "https://shop.example/hooks", StatusCode: 204}
	results := make([]store.AttemptResult, 0, len(first))
	for _, d := range first {
		results = append(results, store.AttemptResult{DeliveryID: d.ID, ClaimSeq: d.ClaimSeq, Status: store.DeliveryDelivered, Attempt: ok})
	}
	unknown := append(results[:len(results):len(results)], store.AttemptResult{DeliveryID: "msg_unknown", Status: store.DeliveryDelivered, Attempt: ok})
	if err := r.db.RecordAttempts(ctx, unknown); err == nil {
		t.Fatal("a batch naming an unknown delivery was recorded")
	}
	for _, d := range r.deliveriesOf() {
		if d.Status != store.DeliveryPending || len(d.History) != 0 {
			t.Fatalf("a failed batch left delivery %s %s with %d attempts", d.ID, d.Status, len(d.History))
		}
	}
	if err := r.db.RecordAttempts(ctx, results); err != nil {
		t.Fatal(err)
	}
	for _, d := range r.deliveriesOf() {
		want := store.DeliveryDelivered
		if d.ID == second[0].ID {
			want = store.DeliveryPending // the new owner's, still leased
		}
		if d.Status != want || len(d.History) != 1 {
			t.Errorf("delivery %s: %s with %d attempts, want %s with 1", d.ID, d.Status, len(d.History), want)
		}
	}
}

// deliveriesOf returns the rig merchant's deliveries with their attempts.
func (r *rig) deliveriesOf() []store.Delivery {
	r.t.Helper()
	ds, err := r.db.Deliveries(context.Background(), r.merchant.ID, store.DeliveryFilter{})
	if err != nil {
		r.t.Fatal(err)
	}
	return ds
}
