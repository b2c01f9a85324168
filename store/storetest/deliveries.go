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

// collected is a store.DeliveryHandoff that keeps what it is handed.
type collected struct {
	mu sync.Mutex
	ds []store.Delivery
}

func (c *collected) HandOff(ds []store.Delivery) {
	c.mu.Lock()
	c.ds = append(c.ds, ds...)
	c.mu.Unlock()
}

func (c *collected) HandOffLease() time.Duration { return time.Minute }

func (c *collected) take() []store.Delivery {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.ds
	c.ds = nil
	return out
}

// testHandOff: with a hand-off, a transition's delivery goes in leased
// (claim 1, until the lease's end) and is handed over once committed;
// nobody claims it while the lease holds, its outcome is fenced on that
// claim, and one never sent is claimed again once the lease has ended.
func testHandOff(t *testing.T, r *rig) {
	ctx := context.Background()
	h := &collected{}
	r.db.HandDeliveriesTo(h)
	defer r.db.HandDeliveriesTo(nil)
	c := r.settle("paid")
	handed := h.take()
	if len(handed) != 1 || handed[0].CheckoutID != c.ID || handed[0].ClaimSeq != 1 || handed[0].NextAttemptAt == nil ||
		!handed[0].NextAttemptAt.Equal(r.clock.Now().Add(time.Minute)) {
		t.Fatalf("handed %+v; want the delivery of %s, claim 1, leased for a minute", handed, c.ID)
	}
	if got, err := r.instance().ClaimDeliveries(ctx, 10, time.Minute); err != nil || len(got) != 0 {
		t.Fatalf("a delivery handed over was claimed (%d, %v) while its lease holds", len(got), err)
	}
	ok := &store.DeliveryAttempt{At: r.clock.Now(), URL: "https://shop.example/hooks", StatusCode: 204}
	if err := r.db.RecordAttempt(ctx, store.AttemptResult{DeliveryID: handed[0].ID, ClaimSeq: 0, Status: store.DeliveryFailed, Attempt: ok}); err != nil {
		t.Fatal(err)
	}
	if err := r.db.RecordAttempt(ctx, store.AttemptResult{DeliveryID: handed[0].ID, ClaimSeq: 1, Status: store.DeliveryDelivered, Attempt: ok}); err != nil {
		t.Fatal(err)
	}
	if ds := r.deliveriesOf(); len(ds) != 1 || ds[0].Status != store.DeliveryDelivered {
		t.Fatalf("deliveries %+v; want the one delivered on its claim (the outcome of no claim ignored)", ds)
	}
	r.settle("paid-again")
	lost := h.take()
	if len(lost) != 1 {
		t.Fatalf("handed %d, want 1", len(lost))
	}
	r.clock.Advance(time.Minute + time.Second) // its dispatcher never sent it
	got, err := r.instance().ClaimDeliveries(ctx, 10, time.Minute)
	if err != nil || len(got) != 1 || got[0].ID != lost[0].ID || got[0].ClaimSeq != 2 {
		t.Fatalf("after its lease: claimed %+v, %v; want the delivery handed over, claim 2", got, err)
	}
}
