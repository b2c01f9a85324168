package app

import (
	"context"
	"testing"
	"time"

	"github.com/paysync/paysync/internal/testwait"
	"github.com/paysync/paysync/store"
)

// TestSharedLivenessMetricsAndHandBack: on a shared database each
// instance is live (readiness, paysync_instance_live) and exports the
// takeover metrics, lint clean; a graceful Shutdown hands the claims the
// instance holds back at once, due now, instead of leaving them to their
// lease.
func TestSharedLivenessMetricsAndHandBack(t *testing.T) {
	a, b, _, m := sharedPair(t)
	ctx := context.Background()
	for _, x := range []*App{a, b} {
		testwait.For(t, "the instances to be ready (live)", func() bool { return get(t, x.PublicURL()+"/readyz") == 200 })
	}

	families := scrapeLinted(t, a.PublicURL())
	for _, want := range []struct {
		family string
		labels map[string]string
	}{
		{"paysync_claims_taken_over_total", map[string]string{"kind": "check"}},
		{"paysync_claims_taken_over_total", map[string]string{"kind": "delivery"}},
		{"paysync_claim_oldest_age_seconds", map[string]string{"kind": "check"}},
		{"paysync_instance_live", map[string]string{}},
	} {
		if f, ok := families[want.family]; !ok || !series(f, want.labels) {
			t.Errorf("/metrics has no %s%v", want.family, want.labels)
		}
	}
	if v := families["paysync_instance_live"].GetMetric()[0].GetGauge().GetValue(); v != 1 {
		t.Errorf("paysync_instance_live = %v on a live instance", v)
	}

	a.Poller().Stop() // A claims by hand; B's poller is stopped too, so nothing else claims it
	b.Poller().Stop()
	c, _, err := a.Store().RegisterCheckout(ctx, store.NewCheckout{MerchantID: m.ID, Provider: store.ProviderPayUnit,
		Reference: "hand-back", Amount: "2500", Currency: "XAF", FirstCheckAt: time.Now().Add(-time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	claimed, err := a.Store().ClaimDue(ctx, 10, time.Hour)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("A claims %d, %v", len(claimed), err)
	}
	if err := a.Shutdown(); err != nil {
		t.Fatal(err)
	}
	got, err := b.Store().Checkout(ctx, m.ID, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.NextCheckAt == nil || got.NextCheckAt.After(time.Now()) {
		t.Fatalf("after A's shutdown the checkout is due at %v; want now (handed back, not held for the hour's lease)", got.NextCheckAt)
	}
	again, err := b.Store().ClaimDue(ctx, 10, time.Minute)
	if err != nil || len(again) != 1 || again[0].ClaimSeq <= claimed[0].ClaimSeq {
		t.Fatalf("B claims %v, %v; want the checkout A handed back", again, err)
	}
}
