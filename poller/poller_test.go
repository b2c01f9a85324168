package poller

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/paysync/paysync/internal/testwait"
	"github.com/paysync/paysync/sandbox"
	"github.com/paysync/paysync/store"
)

// register creates a sandbox payment and registers it as a checkout whose
// first fallback check is a minute away.
func (b *bundle) register(t *testing.T, txn string, scenario sandbox.Scenario) (store.Checkout, string) {
	t.Helper()
	return b.registerPayUnit(t, b.merchant, txn, scenario, b.clock.Now().Add(time.Minute))
}

func TestLostCallbackSettledByPoll(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	c, puID := b.register(t, "txn-lost", sandbox.ScenarioPaysLost)
	if err := b.payunit.Resolve(b.ctx, puID); err != nil {
		t.Fatal(err)
	}
	b.runOnce(t, 0) // within the grace period nothing is checked
	b.clock.Advance(time.Minute)
	b.runOnce(t, 1)
	got := b.get(t, c.ID)
	if got.State != store.StateSucceeded || got.ResolvedBy != store.SourcePoll {
		t.Fatalf("state %s resolved_by %q, want succeeded by poll", got.State, got.ResolvedBy)
	}
	if got.ProviderRef != puID {
		t.Errorf("provider_ref = %q, want the learned %q", got.ProviderRef, puID)
	}
	if got.NextCheckAt != nil {
		t.Errorf("terminal checkout still scheduled at %v", got.NextCheckAt)
	}
	b.clock.Advance(time.Hour)
	b.runOnce(t, 0)
}

func TestForgedCallbackLeavesPending(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	c, puID := b.register(t, "txn-forged", sandbox.ScenarioNeverResolves)
	// Someone posts "SUCCESS" while PayUnit still says PENDING.
	if _, err := b.db.RecordNotification(b.ctx, store.Notification{MerchantID: b.merchant.ID, Provider: store.ProviderPayUnit,
		TransactionID: "txn-forged", Status: "SUCCESS", Body: []byte(`{"transaction_id":"txn-forged","status":"SUCCESS"}`)}); err != nil {
		t.Fatal(err)
	}
	b.runOnce(t, 1) // checked at once, without waiting for the grace period
	got := b.get(t, c.ID)
	if got.State != store.StatePending {
		t.Fatalf("forged callback: state %s, want pending", got.State)
	}
	if got.NextCheckAt == nil || got.NextCheckAt.Sub(b.clock.Now()) != b.cfg.MinInterval {
		t.Fatalf("after a callback the re-check should come after the min interval, got %v", got.NextCheckAt)
	}
	// PayUnit catches up while the quick re-checks run.
	if err := b.payunit.SetStatus(puID, sandbox.StatusSuccess); err != nil {
		t.Fatal(err)
	}
	b.clock.Advance(b.cfg.MinInterval)
	b.runOnce(t, 1)
	got = b.get(t, c.ID)
	if got.State != store.StateSucceeded || got.ResolvedBy != store.SourceCallback {
		t.Fatalf("state %s resolved_by %q, want succeeded by callback", got.State, got.ResolvedBy)
	}
}

func TestAmountMismatchRaisesAnomaly(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ amount, currency, code string }{
		{"100", "XAF", store.AnomalyAmountMismatch},
		{"10", "EUR", store.AnomalyCurrencyMismatch},
	} {
		b := setup(t, options{})
		c, puID := b.register(t, "txn-"+tt.code, sandbox.ScenarioPaysLost)
		if err := b.payunit.Resolve(b.ctx, puID); err != nil {
			t.Fatal(err)
		}
		if err := b.payunit.SetReported(puID, tt.amount, tt.currency); err != nil {
			t.Fatal(err)
		}
		b.clock.Advance(time.Minute)
		b.runOnce(t, 1)
		got := b.get(t, c.ID)
		if got.State == store.StateSucceeded {
			t.Fatalf("%s %s: succeeded despite the mismatch", tt.amount, tt.currency)
		}
		if got.Anomaly == nil || got.Anomaly.Code != tt.code {
			t.Fatalf("%s %s: anomaly %+v, want %s", tt.amount, tt.currency, got.Anomaly, tt.code)
		}
	}
}

func TestRetryAfterHonoured(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	c, _ := b.register(t, "txn-429", sandbox.ScenarioNeverResolves)
	b.payunit.SetFaults(sandbox.Faults{Status429Rate: 1, RetryAfter: 120})
	b.clock.Advance(time.Minute)
	b.runOnce(t, 1)
	got := b.get(t, c.ID)
	if got.NextCheckAt == nil || got.NextCheckAt.Sub(b.clock.Now()) != 120*time.Second {
		t.Fatalf("next check %v, want now+120s from Retry-After", got.NextCheckAt)
	}
	if got.State != store.StatePending || got.Anomaly != nil {
		t.Fatalf("a 429 changed the checkout: %s %+v", got.State, got.Anomaly)
	}
	b.payunit.SetFaults(sandbox.Faults{Status5xxRate: 1})
	b.clock.Advance(120 * time.Second)
	b.runOnce(t, 1)
	got = b.get(t, c.ID)
	if got.NextCheckAt == nil || got.NextCheckAt.Sub(b.clock.Now()) != 10*time.Second {
		t.Fatalf("after a 503 the second attempt should back off to 10s, got %v", got.NextCheckAt)
	}
}

func TestRejectedCredentialsSlowDown(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	b := setup(t, options{cfg: Config{Logger: slog.New(slog.NewJSONHandler(&logs, nil))}})
	m, err := b.db.CreateMerchant(b.ctx, store.NewMerchant{Name: "wrong-key",
		PayUnit: &store.PayUnitAccount{BaseURL: b.merchant.PayUnit.BaseURL, APIUser: "u", APIPassword: "p", APIKey: "revoked", Mode: "test"}})
	if err != nil {
		t.Fatal(err)
	}
	c, _, err := b.db.RegisterCheckout(b.ctx, store.NewCheckout{MerchantID: m.ID, Provider: store.ProviderPayUnit,
		Reference: "txn-auth", Amount: "10", Currency: "XAF", FirstCheckAt: b.clock.Now()})
	if err != nil {
		t.Fatal(err)
	}
	b.runOnce(t, 1)
	got, err := b.db.Checkout(b.ctx, m.ID, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Anomaly == nil || got.Anomaly.Code != store.AnomalyCredentials {
		t.Fatalf("anomaly %+v, want credentials_rejected", got.Anomaly)
	}
	if got.NextCheckAt == nil || got.NextCheckAt.Sub(b.clock.Now()) != b.cfg.MaxInterval {
		t.Fatalf("next check %v, want the max interval", got.NextCheckAt)
	}
	// The operator learns of it from the log: one WARN line naming the
	// merchant and the provider.
	var line struct {
		Level, Anomaly, Provider string
		MerchantID               string `json:"merchant_id"`
	}
	for l := range strings.Lines(logs.String()) {
		if strings.Contains(l, `"anomaly raised"`) {
			if err := json.Unmarshal([]byte(l), &line); err != nil {
				t.Fatal(err)
			}
		}
	}
	if line.Level != "WARN" || line.Anomaly != store.AnomalyCredentials || line.MerchantID != m.ID || line.Provider != store.ProviderPayUnit {
		t.Errorf("log line %+v, want a WARN naming credentials_rejected, merchant %s and payunit; log:\n%s", line, m.ID, logs.String())
	}
}

func TestExpiryThenLateCallbackSettles(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	c, puID := b.register(t, "txn-late", sandbox.ScenarioPaysLost)
	checks := 0
	for b.get(t, c.ID).State != store.StateExpired {
		next := b.get(t, c.ID).NextCheckAt
		if next == nil {
			t.Fatal("polling stopped before the checkout expired")
		}
		b.clock.Set(*next)
		b.runOnce(t, 1)
		if checks++; checks > 1000 {
			t.Fatal("no expiry after 1000 checks")
		}
	}
	if got := b.get(t, c.ID); got.NextCheckAt != nil || got.CreatedAt.Add(b.cfg.MaxAge).After(b.clock.Now()) {
		t.Fatalf("expired early or still scheduled: next %v at %v", got.NextCheckAt, b.clock.Now())
	}
	// Bounded: 72h at ≤10m per check after the backoff climbs.
	if checks > 72*6+20 {
		t.Errorf("%d checks before expiry, more than the schedule allows", checks)
	}
	b.clock.Advance(24 * time.Hour)
	b.runOnce(t, 0)
	// The buyer did pay; PayUnit's late callback gets it settled.
	if err := b.payunit.SetStatus(puID, sandbox.StatusSuccess); err != nil {
		t.Fatal(err)
	}
	if _, err := b.db.RecordNotification(b.ctx, store.Notification{MerchantID: b.merchant.ID, Provider: store.ProviderPayUnit,
		ProviderCheckoutID: puID, Status: "SUCCESS", Body: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	b.runOnce(t, 1)
	if got := b.get(t, c.ID); got.State != store.StateSucceeded || got.ResolvedBy != store.SourceCallback {
		t.Fatalf("late callback: state %s resolved_by %q, want succeeded by callback", got.State, got.ResolvedBy)
	}
}

func TestLoopWakesOnCallback(t *testing.T) {
	t.Parallel()
	b := setup(t, options{}) // the fake clock stands still: only a wake can make the check happen
	c, puID := b.register(t, "txn-wake", sandbox.ScenarioPaysLost)
	if err := b.payunit.Resolve(b.ctx, puID); err != nil {
		t.Fatal(err)
	}
	b.start(t)
	if _, err := b.db.RecordNotification(b.ctx, store.Notification{MerchantID: b.merchant.ID, Provider: store.ProviderPayUnit,
		TransactionID: "txn-wake", Status: "SUCCESS", Body: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	b.poller.Wake()
	testwait.For(t, "the poller settles the checkout after a wake", func() bool {
		return b.get(t, c.ID).State == store.StateSucceeded
	})
	b.poller.Stop()
}

func TestRefreshOfExpiredCheckoutChecksProvider(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	c, puID := b.register(t, "txn-refresh", sandbox.ScenarioPaysLost)
	b.clock.Advance(b.cfg.MaxAge)
	b.runOnce(t, 1)
	if got := b.get(t, c.ID); got.State != store.StateExpired || got.NextCheckAt != nil {
		t.Fatalf("state %s next %v, want expired and unscheduled", got.State, got.NextCheckAt)
	}
	if err := b.payunit.SetStatus(puID, sandbox.StatusSuccess); err != nil {
		t.Fatal(err)
	}
	before := b.payunit.Checks(puID)
	if _, err := b.db.RequestCheck(b.ctx, b.merchant.ID, c.ID); err != nil {
		t.Fatal(err)
	}
	b.runOnce(t, 1)
	if b.payunit.Checks(puID) != before+1 {
		t.Fatalf("refresh of an expired checkout made %d provider calls, want 1", b.payunit.Checks(puID)-before)
	}
	if got := b.get(t, c.ID); got.State != store.StateSucceeded || got.ResolvedBy != store.SourcePoll {
		t.Fatalf("state %s resolved_by %q, want succeeded by poll", got.State, got.ResolvedBy)
	}
}
