package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/paysync/paysync/store"
)

// registerFor registers a PayUnit checkout of ref for merchantID, with
// provider_ref pref, due in an hour.
func (r *rig) registerFor(merchantID, ref, pref string) store.Checkout {
	r.t.Helper()
	in := r.registration(ref, r.clock.Now().Add(time.Hour))
	in.MerchantID, in.ProviderRef = merchantID, pref
	c, created, err := r.db.RegisterCheckout(context.Background(), in)
	if err != nil || !created {
		r.t.Fatalf("RegisterCheckout(%s) = created %v, %v", ref, created, err)
	}
	r.clock.Advance(time.Millisecond) // distinct created_at: a deterministic newest-first order
	return c
}

func ids(cs []store.Checkout) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.ID
	}
	return out
}

// testConsoleMerchantScope: a merchant's scope never returns another
// merchant's rows, whatever it searches for (list, id, reference,
// provider_ref, counts, deliveries); the operator's returns every
// merchant's; the zero Scope returns nothing.
func testConsoleMerchantScope(t *testing.T, r *rig) {
	ctx := context.Background()
	other := r.newMerchant("globex")
	mine := r.registerFor(r.merchant.ID, "order-1", "pu-1")
	theirs := r.registerFor(other.ID, "order-2", "pu-2")
	r.settle("order-paid") // a delivery of r.merchant's

	me := store.MerchantScope(r.merchant.ID)
	for _, f := range []store.ConsoleFilter{{}, {Q: theirs.ID}, {Q: "order-2"}, {Q: "pu-2"}, {MerchantID: other.ID}} {
		got, _, err := r.db.SearchCheckouts(ctx, me, f)
		if err != nil {
			t.Fatal(err)
		}
		if slices.Contains(ids(got), theirs.ID) {
			t.Fatalf("merchant scope, filter %+v, returned another merchant's checkout", f)
		}
	}
	if _, err := r.db.ScopedCheckout(ctx, me, theirs.ID); store.ErrorCode(err) != store.ENOTFOUND {
		t.Fatalf("another merchant's checkout by id: %v, want ENOTFOUND", err)
	}
	if _, err := r.db.CheckoutTimeline(ctx, me, theirs.ID); store.ErrorCode(err) != store.ENOTFOUND {
		t.Fatalf("another merchant's timeline: %v, want ENOTFOUND", err)
	}
	if _, err := r.db.CheckNow(ctx, me, theirs.ID); store.ErrorCode(err) != store.ENOTFOUND {
		t.Fatalf("check another merchant's checkout: %v, want ENOTFOUND", err)
	}
	if got, err := r.db.ScopedCheckout(ctx, me, mine.ID); err != nil || got.ID != mine.ID {
		t.Fatalf("own checkout by id: %v %v", got.ID, err)
	}
	all, _, err := r.db.SearchCheckouts(ctx, store.OperatorScope(), store.ConsoleFilter{})
	if err != nil || len(all) != 3 {
		t.Fatalf("operator sees %d checkouts (%v), want 3", len(all), err)
	}
	if got, _, _ := r.db.SearchCheckouts(ctx, store.Scope{}, store.ConsoleFilter{}); len(got) != 0 {
		t.Fatalf("the zero scope returned %d checkouts", len(got))
	}

	ov, err := r.db.Overview(ctx, store.MerchantScope(other.ID), 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if ov.Counts[store.StatePending] != 1 || ov.Counts[store.StateSucceeded] != 0 || len(ov.Settled) != 0 {
		t.Fatalf("other merchant's overview counts %v settled %v, want its one pending checkout only", ov.Counts, ov.Settled)
	}
	r.failAll()
	if ds, err := r.db.FailedDeliveries(ctx, store.MerchantScope(other.ID), 50); err != nil || len(ds) != 0 {
		t.Fatalf("other merchant sees %d failed deliveries (%v), want 0", len(ds), err)
	}
	if n, err := r.db.ReplayFailedSince(ctx, store.MerchantScope(other.ID), time.Time{}); err != nil || n != 0 {
		t.Fatalf("other merchant replayed %d (%v), want 0", n, err)
	}
	ds, err := r.db.FailedDeliveries(ctx, me, 50)
	if err != nil || len(ds) != 1 {
		t.Fatalf("own failed deliveries %d, %v; want 1", len(ds), err)
	}
	if _, err := r.db.RedeliverInScope(ctx, store.MerchantScope(other.ID), ds[0].ID); store.ErrorCode(err) != store.ENOTFOUND {
		t.Fatalf("redeliver another merchant's delivery: %v, want ENOTFOUND", err)
	}
	if _, err := r.db.RedeliverInScope(ctx, store.OperatorScope(), ds[0].ID); err != nil {
		t.Fatalf("operator redelivers: %v", err)
	}
}

// failAll claims every due delivery and records a spent schedule.
func (r *rig) failAll() {
	r.t.Helper()
	ctx := context.Background()
	got, err := r.db.ClaimDeliveries(ctx, 100, time.Minute)
	if err != nil {
		r.t.Fatal(err)
	}
	for _, d := range got {
		err := r.db.RecordAttempt(ctx, store.AttemptResult{DeliveryID: d.ID, ClaimSeq: d.ClaimSeq, Status: store.DeliveryFailed,
			Attempt: &store.DeliveryAttempt{At: r.clock.Now(), URL: "https://shop.example/hooks", StatusCode: 500}})
		if err != nil {
			r.t.Fatal(err)
		}
	}
}

// testConsoleSearch: q matches an id, a reference or a provider_ref
// exactly; the filters narrow; pages go newest first without overlap.
func testConsoleSearch(t *testing.T, r *rig) {
	ctx := context.Background()
	op := store.OperatorScope()
	a := r.registerFor(r.merchant.ID, "order-a", "pu-a")
	b := r.registerFor(r.merchant.ID, "order-b", "")
	c := r.registerFor(r.merchant.ID, "order-c", "pu-c")
	for q, want := range map[string]string{a.ID: a.ID, "order-b": b.ID, "pu-c": c.ID} {
		got, _, err := r.db.SearchCheckouts(ctx, op, store.ConsoleFilter{Q: q})
		if err != nil || len(got) != 1 || got[0].ID != want {
			t.Fatalf("q=%s: %v %v, want %s", q, ids(got), err, want)
		}
	}
	if got, _, _ := r.db.SearchCheckouts(ctx, op, store.ConsoleFilter{Q: "order"}); len(got) != 0 {
		t.Fatalf("a partial reference matched %v", ids(got))
	}
	if got, _, _ := r.db.SearchCheckouts(ctx, op, store.ConsoleFilter{Provider: store.ProviderAzotte}); len(got) != 0 {
		t.Fatalf("provider filter let %v through", ids(got))
	}
	if got, _, _ := r.db.SearchCheckouts(ctx, op, store.ConsoleFilter{State: store.StateSucceeded}); len(got) != 0 {
		t.Fatalf("state filter let %v through", ids(got))
	}
	if got, _, _ := r.db.SearchCheckouts(ctx, op, store.ConsoleFilter{Anomaly: store.AnomalyAny}); len(got) != 0 {
		t.Fatalf("anomaly filter let %v through", ids(got))
	}
	page1, next, err := r.db.SearchCheckouts(ctx, op, store.ConsoleFilter{Limit: 2})
	if err != nil || next == "" {
		t.Fatalf("page 1: %v next %q", err, next)
	}
	page2, last, err := r.db.SearchCheckouts(ctx, op, store.ConsoleFilter{Limit: 2, Cursor: next})
	if err != nil || last != "" {
		t.Fatalf("page 2: %v next %q", err, last)
	}
	if got := append(ids(page1), ids(page2)...); !slices.Equal(got, []string{c.ID, b.ID, a.ID}) {
		t.Fatalf("pages %v, want newest first %v", got, []string{c.ID, b.ID, a.ID})
	}
}

// testConsoleOverviewAndReplay: counts, settled-by shares within the
// window, callbacks of a checkout, and replaying failed deliveries since
// a time (only those, and not while the endpoint is disabled).
func testConsoleOverviewAndReplay(t *testing.T, r *rig) {
	ctx := context.Background()
	op := store.OperatorScope()
	r.registerFor(r.merchant.ID, "waiting", "")
	early := r.settle("paid-early")
	r.failAll()
	r.clock.Advance(time.Hour)
	cut := r.clock.Now()
	r.settle("paid-late")
	r.failAll()

	ov, err := r.db.Overview(ctx, op, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if ov.Counts[store.StatePending] != 1 || ov.Counts[store.StateSucceeded] != 2 {
		t.Fatalf("counts %v", ov.Counts)
	}
	if len(ov.Settled) != 1 || ov.Settled[0] != (store.SettledCount{Provider: store.ProviderPayUnit, ResolvedBy: store.SourcePoll, N: 2}) {
		t.Fatalf("settled %+v, want 2 payunit by poll", ov.Settled)
	}
	if len(ov.Deliveries) != 2 {
		t.Fatalf("%d failed deliveries in the overview, want 2", len(ov.Deliveries))
	}
	if narrow, _ := r.db.Overview(ctx, op, 30*time.Minute); len(narrow.Settled) != 1 || narrow.Settled[0].N != 1 {
		t.Fatalf("settled in the last 30 min %+v, want 1", narrow.Settled)
	}

	n, err := r.db.ReplayFailedSince(ctx, op, cut)
	if err != nil || n != 1 {
		t.Fatalf("replayed %d (%v), want the one failed after the cut", n, err)
	}
	ds, _ := r.db.Deliveries(ctx, r.merchant.ID, store.DeliveryFilter{CheckoutID: early.ID})
	if len(ds) != 1 || ds[0].Status != store.DeliveryFailed {
		t.Fatalf("the delivery failed before the cut is %+v, want still failed", ds)
	}
	if err := r.db.RecordAttempt(ctx, store.AttemptResult{DeliveryID: ds[0].ID, ClaimSeq: ds[0].ClaimSeq,
		Status: store.DeliveryFailed, Disable: true}); err != nil {
		t.Fatal(err)
	}
	if n, err := r.db.ReplayFailedSince(ctx, op, time.Time{}); err != nil || n != 0 {
		t.Fatalf("replayed %d (%v) while the endpoint is disabled, want 0", n, err)
	}

	c := r.registerFor(r.merchant.ID, "with-callback", "")
	if _, err := r.db.RecordNotification(ctx, store.Notification{MerchantID: r.merchant.ID, Provider: store.ProviderPayUnit,
		TransactionID: "with-callback", Status: "SUCCESS", ContentType: "application/json", Body: []byte(`{"status":"SUCCESS"}`)}); err != nil {
		t.Fatal(err)
	}
	tl, err := r.db.CheckoutTimeline(ctx, store.MerchantScope(r.merchant.ID), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(tl.Notifications) != 1 || string(tl.Notifications[0].Body) != `{"status":"SUCCESS"}` || tl.Notifications[0].Status != "SUCCESS" {
		t.Fatalf("timeline callbacks %+v", tl.Notifications)
	}
	if len(tl.Events) < 2 {
		t.Fatalf("timeline events %+v", tl.Events)
	}
}
