package storetest

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paysync/paysync/store"
)

// payunitCallback is a callback naming reference ref.
func (r *rig) payunitCallback(ref string) store.Notification {
	return store.Notification{MerchantID: r.merchant.ID, Provider: store.ProviderPayUnit, TransactionID: ref,
		Status: "SUCCESS", ContentType: "application/json", Body: []byte(`{"transaction_id":"` + ref + `"}`)}
}

// testInboxQueuesThenDrains: a callback naming a registered checkout is
// queued (nothing logged yet); the drain stores it attached, logs it at
// its arrival time, marks the checkout and makes it due, once; a callback
// naming no registered checkout is recorded at once, unmatched.
func testInboxQueuesThenDrains(t *testing.T, r *rig) {
	ctx := context.Background()
	later := r.clock.Now().Add(time.Hour)
	c := r.register("queued", later)
	arrived := r.clock.Now()
	acc, err := r.db.AcceptNotification(ctx, r.payunitCallback("queued"))
	if err != nil || !acc.Queued {
		t.Fatalf("accept = %+v, %v; want queued", acc, err)
	}
	if hasEvent(r, c, store.EventCallbackReceived) {
		t.Fatal("callback logged before the drain")
	}
	r.clock.Advance(250 * time.Millisecond)
	d, err := r.db.DrainInbox(ctx, 0, 100)
	if err != nil || d.N != 1 || !d.Woke {
		t.Fatalf("drain = %+v, %v; want 1 processed, woke", d, err)
	}
	evs, err := r.db.Events(ctx, r.merchant.ID, c.ID)
	if err != nil || !hasEvent(r, c, store.EventCallbackReceived) {
		t.Fatalf("events after the drain = %+v, %v", evs, err)
	}
	for _, e := range evs {
		if e.Type == store.EventCallbackReceived && !e.At.Equal(arrived) {
			t.Errorf("callback logged at %v, want its arrival %v", e.At, arrived)
		}
	}
	got, err := r.db.Checkout(ctx, r.merchant.ID, c.ID)
	if err != nil || got.NextCheckAt == nil || got.NextCheckAt.After(r.clock.Now()) || got.CallbackReceivedAt == nil {
		t.Fatalf("checkout after the drain: next %v, callback %v, %v; want due now, marked", got.NextCheckAt, got.CallbackReceivedAt, err)
	}
	tl, err := r.db.CheckoutTimeline(ctx, store.Scope{MerchantID: r.merchant.ID}, c.ID)
	if err != nil || len(tl.Notifications) != 1 {
		t.Fatalf("raw callbacks attached = %d, %v; want 1", len(tl.Notifications), err)
	}
	if d, err := r.db.DrainInbox(ctx, 0, 100); err != nil || d.N != 0 {
		t.Fatalf("second drain = %+v, %v; want nothing left", d, err)
	}
	acc, err = r.db.AcceptNotification(ctx, r.payunitCallback("not-registered"))
	if err != nil || acc.Queued || acc.Recorded.ID == 0 || acc.Recorded.CheckoutID != "" {
		t.Fatalf("accept of an early callback = %+v, %v; want recorded at once, unmatched", acc, err)
	}
}

// testInboxSettledCheckoutNotWoken: a callback for a settled checkout is
// queued and logged, and wakes nothing.
func testInboxSettledCheckoutNotWoken(t *testing.T, r *rig) {
	ctx := context.Background()
	c := r.settle("settled")
	if acc, err := r.db.AcceptNotification(ctx, r.payunitCallback("settled")); err != nil || !acc.Queued {
		t.Fatalf("accept = %+v, %v", acc, err)
	}
	d, err := r.db.DrainInbox(ctx, 0, 100)
	if err != nil || d.N != 1 || d.Woke {
		t.Fatalf("drain = %+v, %v; want 1 processed, nothing woken", d, err)
	}
	if got, _ := r.db.Checkout(ctx, r.merchant.ID, c.ID); got.State != store.StateSucceeded {
		t.Fatalf("settled checkout is %s", got.State)
	}
}

// testInboxSkipsPast: DrainInbox takes only entries above afterID, so a
// drain can step past one it can't process.
func testInboxSkipsPast(t *testing.T, r *rig) {
	ctx := context.Background()
	r.register("a", r.clock.Now().Add(time.Hour))
	for range 3 {
		if _, err := r.db.AcceptNotification(ctx, r.payunitCallback("a")); err != nil {
			t.Fatal(err)
		}
	}
	first, err := r.db.DrainInbox(ctx, 0, 1)
	if err != nil || first.N != 1 {
		t.Fatalf("first = %+v, %v", first, err)
	}
	rest, err := r.db.DrainInbox(ctx, first.LastID, 10)
	if err != nil || rest.N != 2 || rest.LastID <= first.LastID {
		t.Fatalf("rest = %+v, %v; want the 2 after %d", rest, err, first.LastID)
	}
}

// testConcurrentDrainsProcessEachOnce: drains racing from two store
// instances (two processes on PostgreSQL) process every entry exactly once.
func testConcurrentDrainsProcessEachOnce(t *testing.T, r *rig) {
	ctx := context.Background()
	const checkouts, each = 8, 5
	ids := make([]string, checkouts)
	for i := range checkouts {
		ids[i] = r.register(fmt.Sprintf("race-%d", i), r.clock.Now().Add(time.Hour)).ID
	}
	for k := range each {
		for i := range checkouts {
			n := r.payunitCallback(fmt.Sprintf("race-%d", i))
			n.Query = fmt.Sprintf("n=%d", k) // distinct: identical repeats fold into one row
			if _, err := r.db.AcceptNotification(ctx, n); err != nil {
				t.Fatal(err)
			}
		}
	}
	dbs := []*store.DB{r.db, r.instance()}
	var processed atomic.Int64
	together(4, func(i int) {
		for {
			d, err := dbs[i%2].DrainInbox(ctx, 0, 3)
			if err != nil {
				t.Error(err)
				return
			}
			if d.N == 0 {
				return
			}
			processed.Add(int64(d.N))
		}
	})
	if processed.Load() != checkouts*each {
		t.Fatalf("drains processed %d entries, want %d", processed.Load(), checkouts*each)
	}
	for _, id := range ids {
		tl, err := r.db.CheckoutTimeline(ctx, store.Scope{MerchantID: r.merchant.ID}, id)
		if err != nil || len(tl.Notifications) != each {
			t.Errorf("checkout %s holds %d callbacks, %v; want %d", id, len(tl.Notifications), err, each)
		}
	}
}

// testInboxNamedOnlyWhatWasFound: a callback naming a registered
// reference beside a provider checkout id nobody holds is queued, but
// doesn't teach the store that the id names a checkout: a later callback
// naming only that id is recorded at once, unmatched, within the bounds.
func testInboxNamedOnlyWhatWasFound(t *testing.T, r *rig) {
	ctx := context.Background()
	// Registered by another instance: this one learns of it by a read.
	if _, created, err := r.instance().RegisterCheckout(ctx, r.registration("real-ref", r.clock.Now().Add(time.Hour))); err != nil || !created {
		t.Fatalf("register: %v, %v", created, err)
	}
	both := r.payunitCallback("real-ref")
	both.ProviderCheckoutID = "pay_bogus"
	if acc, err := r.db.AcceptNotification(ctx, both); err != nil || !acc.Queued {
		t.Fatalf("callback naming a registered reference = %+v, %v; want queued", acc, err)
	}
	for range 2 { // the second asks the cache, if the first taught it anything
		acc, err := r.db.AcceptNotification(ctx, store.Notification{MerchantID: r.merchant.ID, Provider: store.ProviderPayUnit,
			ProviderCheckoutID: "pay_bogus", Body: []byte(`{"checkout_id":"pay_bogus"}`)})
		if err != nil || acc.Queued || acc.Recorded.CheckoutID != "" {
			t.Fatalf("callback naming only an unknown id = %+v, %v; want recorded unmatched", acc, err)
		}
	}
	ref := r.payunitCallback("real-ref")
	for range 2 { // a read, then the cache
		if acc, err := r.db.AcceptNotification(ctx, ref); err != nil || !acc.Queued {
			t.Fatalf("callback naming only the registered reference = %+v, %v; want queued", acc, err)
		}
	}
}

// testInboxRefusedEntryMovedAside (issue 22, point 2): an entry the
// database refuses to record (it names a merchant the database doesn't
// have) fails its drain alone; BuryInbox moves it aside with its body and
// why, and the drain then goes on past it; the dead entries are listed
// within a scope only.
func testInboxRefusedEntryMovedAside(t *testing.T, r *rig) {
	ctx := context.Background()
	c := r.register("after-ghost", r.clock.Now().Add(time.Hour))
	ghost := r.payunitCallback("after-ghost")
	ghost.MerchantID, ghost.InboxKey = "ghost", "k-ghost"
	good := r.payunitCallback("after-ghost")
	good.InboxKey = "k-good"
	for _, n := range []store.Notification{ghost, good} {
		if err := r.backend.AppendInbox(ctx, store.InboxEntry{Notification: n, ReceivedAt: r.clock.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	refused, err := r.db.DrainInbox(ctx, 0, 1)
	if err == nil || refused.LastID == 0 {
		t.Fatalf("drain of the ghost's entry = %+v, %v; want refused, naming it", refused, err)
	}
	if buried, err := r.db.BuryInbox(ctx, refused.LastID, err.Error()); err != nil || !buried {
		t.Fatalf("BuryInbox = %v, %v", buried, err)
	}
	if buried, err := r.db.BuryInbox(ctx, refused.LastID, "again"); err != nil || buried {
		t.Fatalf("BuryInbox of an entry gone = %v, %v; want false, nil", buried, err)
	}
	if d, err := r.db.DrainInbox(ctx, 0, 10); err != nil || d.N != 1 {
		t.Fatalf("drain after the move = %+v, %v; want the good entry", d, err)
	}
	if !hasEvent(r, c, store.EventCallbackReceived) {
		t.Fatal("the good entry after the refused one was not recorded")
	}
	dead, n, err := r.db.DeadEntries(ctx, store.OperatorScope(), 10)
	if err != nil || n != 1 || len(dead) != 1 || dead[0].MerchantID != "ghost" || dead[0].InboxKey != "k-ghost" ||
		string(dead[0].Body) != string(ghost.Body) || dead[0].Reason == "" || !dead[0].DeadAt.Equal(r.clock.Now()) {
		t.Fatalf("dead entries = %d %+v, %v", n, dead, err)
	}
	if dead, n, err := r.db.DeadEntries(ctx, store.MerchantScope(r.merchant.ID), 10); err != nil || n != 0 || len(dead) != 0 {
		t.Fatalf("merchant's dead entries = %d %+v, %v; want none", n, dead, err)
	}
}
