package storetest

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paysync/paysync/store"
)

// testApplyBatch: one batch (ApplyBatch, one transaction) holding a stale
// claim, three good ones and an observation of a settled checkout: the
// good ones are applied as Apply applies them (state, events, outbox
// rows, next check, OnChange), the stale one alone is refused
// (ErrVersionConflict) and leaves the new owner's claim intact, and the
// settled checkout stays settled; all of it in one write transaction.
func testApplyBatch(t *testing.T, r *rig) {
	ctx := context.Background()
	var mu sync.Mutex
	announced := map[string]int64{}
	counted := &countedWrites{Backend: r.backend}
	db, err := store.New(counted, store.Options{MasterKey: masterKey, Now: r.clock.Now, OnChange: func(c store.Checkout) {
		mu.Lock()
		defer mu.Unlock()
		announced[c.ID] = c.Version
	}}) // not closed: it shares r's backend, which r closes
	if err != nil {
		t.Fatal(err)
	}
	settled := r.settle("settled")
	r.register("stale", r.clock.Now().Add(-3*time.Second))
	first, err := r.db.ClaimDue(ctx, 1, time.Minute)
	if err != nil || len(first) != 1 {
		t.Fatalf("first claim = %d, %v", len(first), err)
	}
	for _, ref := range []string{"paid", "refused", "waiting"} {
		r.register(ref, r.clock.Now().Add(-time.Second))
	}
	r.clock.Advance(30 * time.Second)
	good, err := r.db.ClaimDue(ctx, 10, time.Minute)
	if err != nil || len(good) != 3 {
		t.Fatalf("second claim = %d, %v; want the 3 good ones", len(good), err)
	}
	r.clock.Advance(45 * time.Second) // the stale one's lease ran out, not the good ones'
	takeover, err := r.instance().ClaimDue(ctx, 10, time.Minute)
	if err != nil || len(takeover) != 1 || takeover[0].ID != first[0].ID {
		t.Fatalf("takeover claim = %v, %v; want the stale one alone", takeover, err)
	}

	byRef := map[string]store.Checkout{}
	for _, c := range good {
		byRef[c.Reference] = c
	}
	next := r.clock.Now().Add(20 * time.Second)
	waiting := observation(byRef["waiting"], store.StatePending, "PENDING")
	waiting.NextCheckAt = &next
	obs := []store.Observation{
		observation(byRef["paid"], store.StateSucceeded, "SUCCESS"),
		observation(first[0], store.StateFailed, "FAILED"), // the stale claim
		observation(settled, store.StateFailed, "FAILED"),  // a settled checkout told otherwise
		observation(byRef["refused"], store.StateFailed, "FAILED"),
		waiting,
	}
	got := db.ApplyBatch(ctx, obs)
	if n := counted.writes.Load(); n != 1 {
		t.Errorf("ApplyBatch ran %d write transactions, want 1", n)
	}
	if len(got) != len(obs) {
		t.Fatalf("ApplyBatch returned %d outcomes for %d observations", len(got), len(obs))
	}
	for i, want := range []store.State{store.StateSucceeded, "", store.StateSucceeded, store.StateFailed, store.StatePending} {
		a := got[i]
		switch {
		case want == "" && !errors.Is(a.Err, store.ErrVersionConflict):
			t.Errorf("stale claim in the batch: %v, want ErrVersionConflict", a.Err)
		case want != "" && (a.Err != nil || a.Checkout.State != want || a.Checkout.ID != obs[i].CheckoutID):
			t.Errorf("outcome %d = %s %s, %v; want %s applied", i, a.Checkout.ID, a.Checkout.State, a.Err, want)
		}
	}

	for ref, want := range map[string]int{"paid": 1, "refused": 1, "waiting": 0} {
		c := byRef[ref]
		evs, attempts := r.history(c)
		ds, err := r.db.Deliveries(ctx, r.merchant.ID, store.DeliveryFilter{CheckoutID: c.ID})
		if err != nil || len(ds) != want || attempts != 0 {
			t.Errorf("%s: %d deliveries queued (%v), want %d", ref, len(ds), err, want)
		}
		if countEvents(evs, store.EventStatusChecked) != 1 || countEvents(evs, store.EventStateChanged) != want {
			t.Errorf("%s: events %v", ref, evs)
		}
		mu.Lock()
		v, ok := announced[c.ID]
		mu.Unlock()
		if !ok || v != c.Version+1 {
			t.Errorf("%s: OnChange saw version %d (%v), want %d", ref, v, ok, c.Version+1)
		}
	}
	w, err := r.db.Checkout(ctx, r.merchant.ID, byRef["waiting"].ID)
	if err != nil || w.NextCheckAt == nil || !w.NextCheckAt.Equal(next) {
		t.Errorf("waiting: next check %v (%v), want %v", w.NextCheckAt, err, next)
	}
	s, err := r.db.Checkout(ctx, r.merchant.ID, settled.ID)
	if err != nil || s.State != store.StateSucceeded || s.NextCheckAt != nil {
		t.Errorf("settled checkout after the batch = %s, next %v (%v); want it succeeded still", s.State, s.NextCheckAt, err)
	}
	if evs, _ := r.history(s); countEvents(evs, store.EventStateChanged) != 1 {
		t.Errorf("settled checkout changed state again in the batch: %v", evs)
	}

	mu.Lock()
	_, leaked := announced[first[0].ID]
	mu.Unlock()
	if leaked {
		t.Errorf("OnChange announced the refused stale claim")
	}
	after, err := r.db.Apply(ctx, observation(takeover[0], store.StateSucceeded, "SUCCESS"))
	if err != nil || after.State != store.StateSucceeded {
		t.Fatalf("new owner's Apply after the batch = %s, %v", after.State, err)
	}
}

// countedWrites is a backend that counts its write transactions.
type countedWrites struct {
	store.Backend
	writes atomic.Int64
}

// Write implements store.Backend.
func (b *countedWrites) Write(ctx context.Context, fn func(store.Tx) error) error {
	b.writes.Add(1)
	return b.Backend.Write(ctx, fn)
}

// testApplyBatchFallsBack: a batch whose transaction fails as a whole (here
// rolled back after every item ran in it) keeps nothing of it, and each
// observation is then applied in a transaction of its own: none fails for
// another's fault, and none is applied twice.
func testApplyBatchFallsBack(t *testing.T, r *rig) {
	ctx := context.Background()
	for _, ref := range []string{"one", "two", "three"} {
		r.register(ref, r.clock.Now().Add(-time.Second))
	}
	claimed, err := r.db.ClaimDue(ctx, 10, time.Minute)
	if err != nil || len(claimed) != 3 {
		t.Fatalf("claim = %d, %v", len(claimed), err)
	}
	broken := &brokenFirstWrite{countedWrites: countedWrites{Backend: r.backend}}
	db, err := store.New(broken, store.Options{MasterKey: masterKey, Now: r.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	var obs []store.Observation
	for _, c := range claimed {
		obs = append(obs, observation(c, store.StateSucceeded, "SUCCESS"))
	}
	for i, a := range db.ApplyBatch(ctx, obs) {
		if a.Err != nil || a.Checkout.State != store.StateSucceeded {
			t.Errorf("%s after the fallback = %s, %v; want it applied", obs[i].CheckoutID, a.Checkout.State, a.Err)
		}
	}
	if n := broken.writes.Load(); n != 4 {
		t.Errorf("%d write transactions, want the failed batch and one per observation (4)", n)
	}
	for _, c := range claimed {
		evs, _ := r.history(c)
		if countEvents(evs, store.EventStateChanged) != 1 {
			t.Errorf("%s: events %v; want one transition", c.Reference, evs)
		}
	}
}

// brokenFirstWrite is a backend whose first write transaction fails after
// its function ran: its writes are rolled back.
type brokenFirstWrite struct{ countedWrites }

// Write implements store.Backend.
func (b *brokenFirstWrite) Write(ctx context.Context, fn func(store.Tx) error) error {
	if b.writes.Add(1) > 1 {
		return b.Backend.Write(ctx, fn)
	}
	return b.Backend.Write(ctx, func(tx store.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		return errors.New("injected: the transaction fails after the batch ran")
	})
}
