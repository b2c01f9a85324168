package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/paysync/paysync/store"
)

// testStartRecorded: a checkout registered with start keeps the flag (a
// plain repeat of it is a conflict), its pay URL is stored and read back
// by every read of the row (by id, by list, by claim), an Apply keeps it;
// the provider's checkout id a start names is learned and the callbacks
// stored under it adopted; a refusal fails a pending checkout without a
// pay URL with start_refused and its webhooks in the same transaction; an
// unknown outcome only logs; nothing a start records settles a checkout
// as succeeded, and a settled checkout never changes.
func testStartRecorded(t *testing.T, r *rig) {
	ctx := context.Background()
	startReg := func(ref string) store.NewCheckout {
		in := r.registration(ref, r.clock.Now().Add(time.Minute))
		in.Start = true
		return in
	}
	c, created, err := r.db.RegisterCheckout(ctx, startReg("start1"))
	if err != nil || !created || !c.StartRequested || c.PayURL != "" {
		t.Fatalf("register with start: %+v, %v, %v", c, created, err)
	}
	if _, _, err := r.db.RegisterCheckout(ctx, r.registration("start1", r.clock.Now().Add(time.Minute))); store.ErrorCode(err) != store.ECONFLICT {
		t.Fatalf("a plain repeat of a started registration: %v, want ECONFLICT", err)
	}
	if again, created, err := r.db.RegisterCheckout(ctx, startReg("start1")); err != nil || created || again.ID != c.ID {
		t.Fatalf("repeat: %+v, %v, %v", again, created, err)
	}

	unknown, err := r.db.RecordStart(ctx, store.StartResult{CheckoutID: c.ID, Outcome: store.StartUnknown, Detail: "no answer"})
	if err != nil || unknown.Version != c.Version || unknown.PayURL != "" || unknown.State != store.StatePending {
		t.Fatalf("unknown outcome: %+v, %v; want the checkout as it was", unknown, err)
	}

	// a callback naming only PayUnit's checkout id, before the start's answer
	if _, err := r.db.RecordNotification(ctx, store.Notification{MerchantID: r.merchant.ID, Provider: store.ProviderPayUnit,
		ProviderCheckoutID: "PU_start1", Status: "PENDING", ContentType: "application/json", Body: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	const payURL = "https://pay.payunit.net/start1"
	started, err := r.db.RecordStart(ctx, store.StartResult{CheckoutID: c.ID, Outcome: store.StartStarted, PayURL: payURL,
		ProviderRef: "PU_start1", Detail: "started"})
	if err != nil || started.PayURL != payURL || started.ProviderRef != "PU_start1" || started.Version != c.Version+1 ||
		started.State != store.StatePending || started.CallbackReceivedAt == nil {
		t.Fatalf("started: %+v, %v; want pay URL, provider_ref learned, callback adopted, a new version", started, err)
	}
	byID, err := r.db.Checkout(ctx, r.merchant.ID, c.ID)
	if err != nil || byID.PayURL != payURL || !byID.StartRequested {
		t.Fatalf("read back: %+v, %v", byID, err)
	}
	list, _, err := r.db.ListCheckouts(ctx, r.merchant.ID, store.CheckoutFilter{Reference: "start1"})
	if err != nil || len(list) != 1 || list[0].PayURL != payURL {
		t.Fatalf("listed: %+v, %v", list, err)
	}
	events, err := r.db.Events(ctx, r.merchant.ID, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, e := range events {
		if e.Type == store.EventPaymentStarted && e.Source != store.ByPaysync {
			t.Errorf("payment_started from %s, want paysync", e.Source)
		}
		types = append(types, e.Type)
	}
	// the adopted callback is logged after the start that taught its id
	if want := []string{store.EventRegistered, store.EventPaymentStarted, store.EventPaymentStarted, store.EventCallbackReceived}; !slices.Equal(types, want) {
		t.Fatalf("events %v, want %v", types, want)
	}
	again, err := r.db.RecordStart(ctx, store.StartResult{CheckoutID: c.ID, Outcome: store.StartRefused, Message: "duplicate", Detail: "refused"})
	if err != nil || again.State != store.StatePending || again.PayURL != payURL || again.Anomaly != nil {
		t.Fatalf("a refusal after a pay URL: %+v, %v; want the checkout pending with its pay URL", again, err)
	}

	claimed, err := r.db.ClaimDue(ctx, 10, time.Minute) // the adopted callback made it due
	if err != nil || len(claimed) != 1 || claimed[0].PayURL != payURL {
		t.Fatalf("claimed %+v, %v", claimed, err)
	}
	applied, err := r.db.Apply(ctx, observation(claimed[0], store.StateSucceeded, "SUCCESS"))
	if err != nil || applied.State != store.StateSucceeded || applied.PayURL != payURL {
		t.Fatalf("apply: %+v, %v; want succeeded, the pay URL kept", applied, err)
	}
	settled, err := r.db.RecordStart(ctx, store.StartResult{CheckoutID: c.ID, Outcome: store.StartRefused, Message: "late"})
	if err != nil || settled.State != store.StateSucceeded || settled.Anomaly != nil || settled.Version != applied.Version {
		t.Fatalf("a refusal of a settled checkout: %+v, %v; want it unchanged", settled, err)
	}

	refused := r.startRefused(ctx, "start2")
	deliveries, err := r.db.Deliveries(ctx, r.merchant.ID, store.DeliveryFilter{CheckoutID: refused.ID})
	if err != nil {
		t.Fatal(err)
	}
	var hooks []string
	for _, d := range deliveries {
		hooks = append(hooks, d.Type)
		if d.Version != refused.Version || d.Checkout.State != store.StateFailed {
			t.Errorf("delivery %s of version %d in state %s, want version %d failed", d.Type, d.Version, d.Checkout.State, refused.Version)
		}
	}
	slices.Sort(hooks)
	if want := []string{store.WebhookAnomaly, store.WebhookFailed}; !slices.Equal(hooks, want) {
		t.Fatalf("webhooks %v, want %v", hooks, want)
	}
	late, err := r.db.RecordStart(ctx, store.StartResult{CheckoutID: refused.ID, Outcome: store.StartStarted, PayURL: payURL})
	if err != nil || late.State != store.StateFailed || late.PayURL != "" || late.Version != refused.Version {
		t.Fatalf("a start answered after a refusal: %+v, %v; want the failed checkout unchanged, no pay URL", late, err)
	}
	if _, err := r.db.RecordStart(ctx, store.StartResult{CheckoutID: "chk_nobody", Outcome: store.StartUnknown}); store.ErrorCode(err) != store.ENOTFOUND {
		t.Fatalf("unknown checkout: %v, want ENOTFOUND", err)
	}
}

// startRefused registers ref with start and records a refusal of it.
func (r *rig) startRefused(ctx context.Context, ref string) store.Checkout {
	r.t.Helper()
	in := r.registration(ref, r.clock.Now().Add(time.Minute))
	in.Start = true
	c, _, err := r.db.RegisterCheckout(ctx, in)
	if err != nil {
		r.t.Fatal(err)
	}
	out, err := r.db.RecordStart(ctx, store.StartResult{CheckoutID: c.ID, Outcome: store.StartRefused, Message: "invalid transaction_id",
		Detail: "refused"})
	if err != nil || out.State != store.StateFailed || out.Anomaly == nil || out.Anomaly.Code != store.AnomalyStartRefused ||
		out.Anomaly.Detail != "invalid transaction_id" || out.NextCheckAt != nil || out.Version != c.Version+1 || out.SettledAt == nil {
		r.t.Fatalf("refused: %+v, %v; want failed with start_refused, no next check", out, err)
	}
	return out
}
