package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/paysync/paysync/store"
)

// retention is the default of --retention (90 days) and --unmatched-retention.
var retention = store.Retention{Settled: 2160 * time.Hour, Unmatched: 72 * time.Hour, Batch: 2}

// callback records a PayUnit callback naming ref.
func (r *rig) callback(ref string) store.RecordedNotification {
	r.t.Helper()
	got, err := r.db.RecordNotification(context.Background(), store.Notification{MerchantID: r.merchant.ID,
		Provider: store.ProviderPayUnit, TransactionID: ref, Status: "SUCCESS", ContentType: "application/json",
		Body: []byte(`{"transaction_id":"` + ref + `","buyer_name":"Ada","phone":"+237600000000"}`)})
	if err != nil {
		r.t.Fatal(err)
	}
	return got
}

// deliverAll claims every due delivery and records a 204 for it.
func (r *rig) deliverAll() {
	r.t.Helper()
	ctx := context.Background()
	ds, err := r.db.ClaimDeliveries(ctx, 100, time.Minute)
	if err != nil {
		r.t.Fatal(err)
	}
	for _, d := range ds {
		if err := r.db.RecordAttempt(ctx, store.AttemptResult{DeliveryID: d.ID, ClaimSeq: d.ClaimSeq, Status: store.DeliveryDelivered,
			Attempt: &store.DeliveryAttempt{At: r.clock.Now(), URL: "https://shop.example/hooks", StatusCode: 204}}); err != nil {
			r.t.Fatal(err)
		}
	}
}

// history returns c's events and the attempts of its deliveries.
func (r *rig) history(c store.Checkout) (events []store.Event, attempts int) {
	r.t.Helper()
	ctx := context.Background()
	events, err := r.db.Events(ctx, r.merchant.ID, c.ID)
	if err != nil {
		r.t.Fatal(err)
	}
	ds, err := r.db.Deliveries(ctx, r.merchant.ID, store.DeliveryFilter{CheckoutID: c.ID})
	if err != nil {
		r.t.Fatal(err)
	}
	for _, d := range ds {
		attempts += len(d.History)
	}
	return events, attempts
}

// testRetention: checkouts settled longer ago than the retention lose
// their events, raw callbacks and delivery attempts and keep their
// verdict, marked purged; pending and recently settled ones keep
// everything; unmatched callbacks expire after their own retention; a
// second sweep finds nothing.
func testRetention(t *testing.T, r *rig) {
	ctx := context.Background()
	var old []store.Checkout
	for i := range 3 { // more than one batch
		ref := fmt.Sprintf("old-%d", i)
		r.register(ref, r.clock.Now().Add(time.Hour))
		r.callback(ref)
		old = append(old, r.settle2(ref))
	}
	r.deliverAll()
	r.callback("stray-old") // never registered
	open := r.register("open", r.clock.Now().Add(time.Hour))
	r.callback("open")

	r.clock.Advance(retention.Settled + time.Hour)
	recent := r.settle("recent")
	r.deliverAll()
	r.callback("stray-new")
	openEvents, _ := r.history(open)
	recentEvents, recentAttempts := r.history(recent)

	swept, err := r.db.Sweep(ctx, retention)
	if err != nil {
		t.Fatal(err)
	}
	if swept.Checkouts != 3 || swept.Notifications != 3 || swept.Attempts != 3 || swept.Unmatched != 1 || swept.Events == 0 {
		t.Fatalf("swept %+v, want 3 checkouts' history (3 callbacks, 3 attempts) and 1 unmatched callback", swept)
	}
	for _, c := range old {
		got, err := r.db.Checkout(ctx, r.merchant.ID, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.State != store.StateSucceeded || got.ResolvedBy != store.SourcePoll || got.Version != c.Version ||
			got.CallbackReceivedAt == nil || got.HistoryPurgedAt == nil || !got.HistoryPurgedAt.Equal(r.clock.Now()) {
			t.Fatalf("purged checkout = %s by %q v%d callback %v purged %v: the verdict must stay, the purge be said",
				got.State, got.ResolvedBy, got.Version, got.CallbackReceivedAt, got.HistoryPurgedAt)
		}
		if events, attempts := r.history(c); len(events) != 0 || attempts != 0 {
			t.Fatalf("purged checkout kept %d events, %d attempts", len(events), attempts)
		}
	}
	if events, _ := r.history(open); len(events) != len(openEvents) {
		t.Fatalf("pending checkout has %d events after the sweep, had %d", len(events), len(openEvents))
	}
	if events, attempts := r.history(recent); len(events) != len(recentEvents) || attempts != recentAttempts || attempts == 0 {
		t.Fatalf("recently settled checkout has %d events, %d attempts; had %d, %d", len(events), attempts, len(recentEvents), recentAttempts)
	}
	if got, _ := r.db.Checkout(ctx, r.merchant.ID, recent.ID); got.HistoryPurgedAt != nil {
		t.Fatalf("recently settled checkout marked purged")
	}
	// A registration adopts the unmatched callbacks still kept: the
	// expired one is gone, the recent one is there.
	for ref, want := range map[string]bool{"stray-old": false, "stray-new": true} {
		c := r.register(ref, r.clock.Now().Add(time.Hour))
		if got := hasEvent(r, c, store.EventCallbackReceived); got != want {
			t.Fatalf("callback for %s adopted = %v, want %v", ref, got, want)
		}
	}
	again, err := r.db.Sweep(ctx, retention)
	if err != nil || again.Deleted() {
		t.Fatalf("second sweep = %+v, %v; want nothing left to delete", again, err)
	}
}

// settle2 claims the registered checkout ref and applies a success.
func (r *rig) settle2(ref string) store.Checkout {
	r.t.Helper()
	ctx := context.Background()
	claimed, err := r.db.ClaimDue(ctx, 100, time.Minute)
	if err != nil {
		r.t.Fatal(err)
	}
	for _, c := range claimed {
		if c.Reference == ref {
			after, err := r.db.Apply(ctx, observation(c, store.StateSucceeded, "SUCCESS"))
			if err != nil {
				r.t.Fatal(err)
			}
			if after.SettledAt == nil || !after.SettledAt.Equal(r.clock.Now()) {
				r.t.Fatalf("settled_at = %v, want now", after.SettledAt)
			}
			return after
		}
	}
	r.t.Fatalf("%s was not due after its callback", ref)
	return store.Checkout{}
}

func hasEvent(r *rig, c store.Checkout, typ string) bool {
	r.t.Helper()
	events, _ := r.history(c)
	for _, e := range events {
		if e.Type == typ {
			return true
		}
	}
	return false
}

// testConcurrentSweeps: instances sweeping at once purge each checkout's
// history once, between them, without failing.
func testConcurrentSweeps(t *testing.T, r *rig) {
	const n = 24
	for i := range n {
		r.settle(fmt.Sprintf("paid-%d", i))
	}
	r.clock.Advance(retention.Settled + time.Hour)
	dbs := []*store.DB{r.db, r.instance(), r.instance()}
	var mu sync.Mutex
	var purged int64
	together(len(dbs), func(i int) {
		s, err := dbs[i].Sweep(context.Background(), retention)
		if err != nil {
			t.Errorf("sweep %d: %v", i, err)
			return
		}
		mu.Lock()
		purged += s.Checkouts
		mu.Unlock()
	})
	if purged != n {
		t.Fatalf("instances purged %d checkouts between them, want each of %d once", purged, n)
	}
}

// testStatusChecksFold: identical consecutive status checks fold into one
// event with a count and the last time seen; a different observation
// starts a new event.
func testStatusChecksFold(t *testing.T, r *rig) {
	ctx := context.Background()
	c := r.register("slow", r.clock.Now().Add(-time.Second))
	check := func(status, failure string) {
		t.Helper()
		claimed, err := r.db.ClaimDue(ctx, 10, time.Minute)
		if err != nil || len(claimed) != 1 {
			t.Fatalf("claim = %d, %v", len(claimed), err)
		}
		o := observation(claimed[0], store.StatePending, status)
		o.Failure = failure
		next := r.clock.Now().Add(time.Minute)
		o.NextCheckAt = &next
		if _, err := r.db.Apply(ctx, o); err != nil {
			t.Fatal(err)
		}
		r.clock.Advance(time.Minute)
	}
	for range 5 {
		check("PENDING", "")
	}
	last := r.clock.Now().Add(-time.Minute)
	check("", "timeout")
	check("PENDING", "")
	check("PENDING", "")
	events, _ := r.history(c)
	var got []string
	for _, e := range events {
		got = append(got, fmt.Sprintf("%s×%d", e.Type, e.Count))
	}
	want := []string{"registered×1", "status_checked×5", "check_failed×1", "status_checked×2"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("events = %v, want %v", got, want)
	}
	if e := events[1]; e.LastAt == nil || !e.LastAt.Equal(last) || !e.At.Before(last) {
		t.Fatalf("folded event at %v last %v, want the first check's time and last %v", e.At, e.LastAt, last)
	}
	if events[0].LastAt != nil {
		t.Fatalf("a single event has last_at %v", events[0].LastAt)
	}
}
