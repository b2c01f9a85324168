package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/paysync/paysync/store"
)

// testConcurrentClaims: pollers claiming at once never take one checkout
// twice while its lease holds, and together take every due checkout.
func testConcurrentClaims(t *testing.T, r *rig) {
	ctx := context.Background()
	const n = 60
	for i := range n {
		r.register(fmt.Sprintf("due-%d", i), r.clock.Now().Add(-time.Second))
	}
	var mu sync.Mutex
	claimed := map[string]int{}
	together(6, func(int) {
		for {
			got, err := r.db.ClaimDue(ctx, 4, time.Minute)
			if err != nil {
				t.Errorf("ClaimDue: %v", err)
				return
			}
			if len(got) == 0 {
				return
			}
			mu.Lock()
			for _, c := range got {
				claimed[c.ID]++
			}
			mu.Unlock()
		}
	})
	if len(claimed) != n {
		t.Fatalf("%d of %d due checkouts claimed", len(claimed), n)
	}
	for id, k := range claimed {
		if k != 1 {
			t.Fatalf("checkout %s claimed %d times under one lease", id, k)
		}
	}
}

// testLeaseTakeover: a lease that ran out (its poller died or hung) is
// taken over by the next claim, and the first poller's late answer is
// refused: it can't overwrite what the new owner applies.
func testLeaseTakeover(t *testing.T, r *rig) {
	ctx := context.Background()
	r.register("slow", r.clock.Now().Add(-time.Second))
	first, err := r.db.ClaimDue(ctx, 10, time.Minute)
	if err != nil || len(first) != 1 {
		t.Fatalf("first claim = %d, %v", len(first), err)
	}
	r.clock.Advance(2 * time.Minute) // the lease ran out
	second, err := r.instance().ClaimDue(ctx, 10, time.Minute)
	if err != nil || len(second) != 1 || second[0].ID != first[0].ID {
		t.Fatalf("takeover claim = %v, %v; want the same checkout", second, err)
	}
	if second[0].ClaimSeq == first[0].ClaimSeq {
		t.Fatalf("takeover kept claim_seq %d", first[0].ClaimSeq)
	}
	_, err = r.db.Apply(ctx, observation(first[0], store.StateFailed, "FAILED"))
	if !errors.Is(err, store.ErrVersionConflict) {
		t.Fatalf("stale poller's Apply = %v, want ErrVersionConflict", err)
	}
	after, err := r.db.Apply(ctx, observation(second[0], store.StateSucceeded, "SUCCESS"))
	if err != nil || after.State != store.StateSucceeded {
		t.Fatalf("new owner's Apply = %v, %v", after.State, err)
	}
}

// testLiveLeaseHeld: another instance starting or claiming does not take
// a checkout whose lease still runs.
func testLiveLeaseHeld(t *testing.T, r *rig) {
	ctx := context.Background()
	r.register("held", r.clock.Now().Add(-time.Second))
	if got, err := r.db.ClaimDue(ctx, 10, time.Minute); err != nil || len(got) != 1 {
		t.Fatalf("claim = %d, %v", len(got), err)
	}
	other := r.instance()
	r.clock.Advance(59 * time.Second)
	if got, err := other.ClaimDue(ctx, 10, time.Minute); err != nil || len(got) != 0 {
		t.Fatalf("another instance claimed %d checkouts under a live lease (%v)", len(got), err)
	}
}

// testConcurrentApplies: the same checkout observed by writers racing with
// one claim: one applies, the rest are refused, one transition is logged
// and one webhook queued.
func testConcurrentApplies(t *testing.T, r *rig) {
	ctx := context.Background()
	c := r.register("twice", r.clock.Now().Add(-time.Second))
	got, err := r.db.ClaimDue(ctx, 1, time.Minute)
	if err != nil || len(got) != 1 {
		t.Fatalf("claim = %d, %v", len(got), err)
	}
	var mu sync.Mutex
	applied := 0
	together(8, func(int) {
		_, err := r.db.Apply(ctx, observation(got[0], store.StateSucceeded, "SUCCESS"))
		mu.Lock()
		defer mu.Unlock()
		switch {
		case err == nil:
			applied++
		case !errors.Is(err, store.ErrVersionConflict):
			t.Errorf("Apply: %v", err)
		}
	})
	if applied != 1 {
		t.Fatalf("%d applies succeeded, want 1", applied)
	}
	evs, _ := r.db.Events(ctx, r.merchant.ID, c.ID)
	changes := countEvents(evs, store.EventStateChanged)
	ds, err := r.db.Deliveries(ctx, r.merchant.ID, store.DeliveryFilter{CheckoutID: c.ID})
	if err != nil || changes != 1 || len(ds) != 1 {
		t.Fatalf("%d transitions logged, %d deliveries (%v); want 1 and 1", changes, len(ds), err)
	}
}

// testClaimDueAt: a claim says when each checkout was due, from the claim
// itself.
func testClaimDueAt(t *testing.T, r *rig) {
	ctx := context.Background()
	due := r.clock.Now().Add(-90 * time.Second)
	r.register("late", due)
	got, err := r.db.ClaimDue(ctx, 1, time.Minute)
	if err != nil || len(got) != 1 {
		t.Fatalf("claim = %d, %v", len(got), err)
	}
	if !got[0].DueAt.Equal(due.Truncate(time.Millisecond)) {
		t.Fatalf("DueAt = %v, want %v", got[0].DueAt, due)
	}
	if got[0].NextCheckAt == nil || !got[0].NextCheckAt.Equal(r.clock.Now().Add(time.Minute)) {
		t.Fatalf("NextCheckAt = %v, want the lease's end", got[0].NextCheckAt)
	}
}
