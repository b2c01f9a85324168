package poller

import (
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/paysync/paysync/store"
)

// TestAmbiguousPayUnitAnswersNeverSettle runs hostile or ambiguous
// PayUnit answers through the whole verdict path (checker, schedule,
// store.Apply and decide) for a checkout registered as txn-1 for 10 XAF:
// none settles it, and each leaves a failed check or an anomaly saying why.
func TestAmbiguousPayUnitAnswersNeverSettle(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, mode, body string
		providerRef      string // the checkout's known provider_ref
		anomaly, failure bool
		wantRef          string // provider_ref after the check
	}{
		{name: "success naming only an unknown checkout_id", mode: "test",
			body:    `{"data":{"status":"SUCCESS","checkout_id":"attacker-co","total_amount":10,"currency":"XAF","checkout_mode":"TEST"}}`,
			anomaly: true},
		{name: "pending naming only an unknown checkout_id adopts nothing", mode: "test",
			body: `{"data":{"status":"PENDING","checkout_id":"attacker-co","checkout_mode":"TEST"}}`},
		{name: "success naming another checkout_id than the known one", mode: "test", providerRef: "co-1", wantRef: "co-1",
			body:    `{"data":{"status":"SUCCESS","checkout_id":"co-2","total_amount":10,"currency":"XAF","checkout_mode":"TEST"}}`,
			anomaly: true},
		{name: "live merchant, no checkout_mode", mode: "live",
			body:    `{"data":{"status":"SUCCESS","checkout_id":"co-1","transaction_id":"txn-1","total_amount":10,"currency":"XAF"}}`,
			anomaly: true}, // (an answer raising an anomaly teaches no provider_ref)
		{name: "unicode case folding of the status", mode: "test",
			body:    `{"data":{"status":"ſuccess","transaction_id":"txn-1","total_amount":10,"currency":"XAF","checkout_mode":"TEST"}}`,
			failure: true},
		{name: "lower-case status", mode: "test",
			body:    `{"data":{"status":"success","transaction_id":"txn-1","total_amount":10,"currency":"XAF","checkout_mode":"TEST"}}`,
			failure: true},
		{name: "duplicate status", mode: "test",
			body:    `{"data":{"status":"PENDING","status":"SUCCESS","transaction_id":"txn-1","total_amount":10,"currency":"XAF","checkout_mode":"TEST"}}`,
			failure: true},
		{name: "duplicate total_amount", mode: "test",
			body:    `{"data":{"status":"SUCCESS","transaction_id":"txn-1","total_amount":1,"total_amount":10,"currency":"XAF","checkout_mode":"TEST"}}`,
			failure: true},
		{name: "duplicate data", mode: "test",
			body:    `{"data":{"status":"PENDING"},"data":{"status":"SUCCESS","transaction_id":"txn-1","total_amount":10,"currency":"XAF","checkout_mode":"TEST"}}`,
			failure: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, db := checkOnce(t, tt.mode, tt.providerRef, tt.body)
			if c.State != store.StatePending {
				t.Fatalf("state %s, want pending", c.State)
			}
			if c.ProviderRef != tt.wantRef {
				t.Errorf("provider_ref %q, want %q", c.ProviderRef, tt.wantRef)
			}
			if tt.anomaly != (c.Anomaly != nil) {
				t.Errorf("anomaly %+v, want one: %v", c.Anomaly, tt.anomaly)
			}
			evs, err := db.Events(t.Context(), c.MerchantID, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			failed := false
			for _, e := range evs {
				failed = failed || e.Type == store.EventCheckFailed
			}
			if failed != tt.failure {
				t.Errorf("check_failed logged %v, want %v (events %+v)", failed, tt.failure, evs)
			}
			t.Logf("provider_status %q, anomaly %+v", c.ProviderStatus, c.Anomaly)
		})
	}
	t.Run("control: a clean answer settles", func(t *testing.T) {
		t.Parallel()
		c, _ := checkOnce(t, "live", "", `{"data":{"status":" SUCCESS ","checkout_id":"co-1","transaction_id":"txn-1","total_amount":10,"currency":"xaf","checkout_mode":"LIVE"}}`)
		if c.State != store.StateSucceeded || c.ProviderRef != "co-1" || c.ProviderStatus != "SUCCESS" {
			t.Fatalf("state %s provider_ref %q status %q, want succeeded, co-1, SUCCESS", c.State, c.ProviderRef, c.ProviderStatus)
		}
	})
}

// checkOnce registers txn-1 (10 XAF, provider_ref providerRef) for a
// merchant in mode, answers its status check with body, and returns the
// checkout after one poller pass.
func checkOnce(t *testing.T, mode, providerRef, body string) (store.Checkout, *store.DB) {
	t.Helper()
	var asked atomic.Int32
	b := setup(t, options{mode: mode, payunit: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(body))
	})})
	c, _, err := b.db.RegisterCheckout(b.ctx, store.NewCheckout{MerchantID: b.merchant.ID, Provider: store.ProviderPayUnit,
		Reference: "txn-1", ProviderRef: providerRef, Amount: "10", Currency: "XAF", FirstCheckAt: b.clock.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := b.poller.RunOnce(b.ctx); err != nil || n != 1 || asked.Load() != 1 {
		t.Fatalf("RunOnce = %d, %v; PayUnit asked %d times", n, err, asked.Load())
	}
	return b.get(t, c.ID), b.db
}
