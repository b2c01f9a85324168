package poller

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/paysync/paysync/provider/azotte"
	"github.com/paysync/paysync/sandbox"
	"github.com/paysync/paysync/store"
)

// azSetup is the bundle of an Azotte test: a sandbox Azotte on the
// bundle's clock, one merchant, and the waits of the 3DS step and of a
// tracking number not found yet.
func azSetup(t *testing.T) *bundle {
	return setup(t, options{azotte: true, cfg: Config{MinInterval: time.Second, MaxInterval: 10 * time.Minute,
		MaxAge: 72 * time.Hour, ActionInterval: 30 * time.Second, NotFoundWindow: 10 * time.Minute}})
}

// azotteMerchant creates another merchant at baseURL with apiKey.
func (b *bundle) azotteMerchant(t *testing.T, baseURL, apiKey string) store.CreatedMerchant {
	t.Helper()
	return b.newMerchant(t, store.NewMerchant{Name: "acme",
		Azotte: &store.AzotteAccount{BaseURL: baseURL, TenantID: "tn_acme", APIKey: apiKey}})
}

// registerAzotte registers an Azotte checkout for tracking, due at once
// (Azotte sends no callbacks to wait for).
func (b *bundle) registerAzotte(t *testing.T, m store.CreatedMerchant, tracking string) store.Checkout {
	t.Helper()
	c, _, err := b.db.RegisterCheckout(b.ctx, store.NewCheckout{MerchantID: m.ID, Provider: store.ProviderAzotte,
		ProviderRef: tracking, Amount: "2500", Currency: "XAF", FirstCheckAt: b.clock.Now()})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// wantNext checks that the next check is exactly wait from now.
func (b *bundle) wantNext(t *testing.T, c store.Checkout, wait time.Duration) {
	t.Helper()
	if c.NextCheckAt == nil || !c.NextCheckAt.Equal(b.clock.Now().Add(wait)) {
		t.Fatalf("next_check_at %v, want now+%v (%v)", c.NextCheckAt, wait, b.clock.Now().Add(wait))
	}
}

func eventTypes(t *testing.T, db *store.DB, merchantID, id string) []string {
	t.Helper()
	es, err := db.Events(t.Context(), merchantID, id)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Type+":"+e.ProviderStatus)
	}
	return out
}

// PROCESSING → 3DS_REQUIRED → (browser returns) → DONE, with the waits of
// the provider and of the 3DS step, and the check at the browser's return.
func TestAzotte3DSSettledAtBrowserReturn(t *testing.T) {
	t.Parallel()
	b := azSetup(t)
	trk := b.azotte.Create(sandbox.AzotteCheckout{Scenario: sandbox.Azotte3DS, ProcessingChecks: 1,
		RetryAfter: 2, FollowUpSeconds: 4, ReturnURL: "http://paysync.test/pay/tok/return"})
	c := b.registerAzotte(t, b.merchant, trk)

	b.runOnce(t, 1) // PROCESSING, Retry-After: 2, retryAfterSeconds: 4
	got := b.checkout(t, b.merchant, c.ID)
	if got.State != store.StatePending || got.ProviderStatus != azotte.CodeProcessing {
		t.Fatalf("after the first check: %s %s", got.State, got.ProviderStatus)
	}
	b.wantNext(t, got, 4*time.Second) // the larger of the two waits

	b.clock.Advance(4 * time.Second)
	b.runOnce(t, 1) // 3DS_REQUIRED
	got = b.checkout(t, b.merchant, c.ID)
	if got.State != store.StateActionRequired || got.Action == nil {
		t.Fatalf("after the second check: %s, action %v", got.State, got.Action)
	}
	var ri map[string]any
	if err := json.Unmarshal(got.Action.Instructions, &ri); err != nil {
		t.Fatal(err)
	}
	challenge := b.srv.URL + "/challenge/" + trk
	if ri["redirectUrl"] != challenge || ri["threeDIdentifier"] != "3ds_"+trk || ri["isRedirectRequired"] != true ||
		ri["hasNextSteps"] != true || ri["showHtmlContent"] != false {
		t.Fatalf("instructions not kept whole: %s", got.Action.Instructions)
	}
	b.wantNext(t, got, b.cfg.ActionInterval) // the buyer may take minutes: slow

	b.clock.Advance(10 * time.Second)
	b.runOnce(t, 0) // nothing due while the buyer is in the challenge

	// The buyer approves; the challenge sends the browser back (303).
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.PostForm(challenge, url.Values{"decision": {"approve"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "http://paysync.test/pay/tok/return" {
		t.Fatalf("challenge answered %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	b.clock.Advance(3 * time.Second)
	returned, err := browserReturn(b.ctx, b.db, c)
	if err != nil {
		t.Fatal(err)
	}
	b.wantNext(t, returned, 0) // due at the return itself, 17s before the slow check
	b.runOnce(t, 1)            // no clock advance: checked at once
	got = b.checkout(t, b.merchant, c.ID)
	if got.State != store.StateSucceeded || got.ResolvedBy != store.SourceBrowserReturn || got.Anomaly != nil {
		t.Fatalf("after the return: %s resolved_by %q anomaly %v", got.State, got.ResolvedBy, got.Anomaly)
	}
	if got.Action != nil || got.NextCheckAt != nil || got.ProviderStatus != azotte.CodeDone {
		t.Fatalf("terminal checkout: action %v next %v status %s", got.Action, got.NextCheckAt, got.ProviderStatus)
	}
	if n := b.azotte.Checks(trk); n != 3 {
		t.Fatalf("Azotte was asked %d times, want 3", n)
	}
	want := "registered: status_checked:CHECK_OUT_PROCESSING status_checked:CHECK_OUT_3DS_REQUIRED state_changed:CHECK_OUT_3DS_REQUIRED " +
		"browser_returned: status_checked:CHECK_OUT_DONE state_changed:CHECK_OUT_DONE"
	if got := strings.Join(eventTypes(t, b.db, b.merchant.ID, c.ID), " "); got != want {
		t.Fatalf("events\n got %s\nwant %s", got, want)
	}
}

// A browser that comes back before Azotte has the verdict gets quick
// re-checks (MinInterval), not the slow 3DS pace.
func TestAzotteEarlyBrowserReturnChecksQuickly(t *testing.T) {
	t.Parallel()
	b := azSetup(t)
	trk := b.azotte.Create(sandbox.AzotteCheckout{Scenario: sandbox.Azotte3DS})
	c := b.registerAzotte(t, b.merchant, trk)
	b.runOnce(t, 1)
	b.wantNext(t, b.checkout(t, b.merchant, c.ID), b.cfg.ActionInterval)
	if _, err := browserReturn(b.ctx, b.db, c); err != nil {
		t.Fatal(err)
	}
	b.runOnce(t, 1) // still 3DS_REQUIRED: Azotte hasn't caught up
	got := b.checkout(t, b.merchant, c.ID)
	if got.State != store.StateActionRequired {
		t.Fatalf("state %s", got.State)
	}
	b.wantNext(t, got, 3*time.Second) // MinInterval 1s, but retryAfterSeconds 3 is honoured
	b.azotte.Create(sandbox.AzotteCheckout{TrackingNumber: trk, Scenario: sandbox.AzotteDone})
	b.clock.Advance(3 * time.Second)
	b.runOnce(t, 1)
	if got := b.checkout(t, b.merchant, c.ID); got.State != store.StateSucceeded || got.ResolvedBy != store.SourceBrowserReturn {
		t.Fatalf("state %s resolved_by %q", got.State, got.ResolvedBy)
	}
}

// The Retry-After header wins when it asks for more than retryAfterSeconds,
// and a success without an amount is accepted on the tracking number.
func TestAzotteRetryAfterHeaderWins(t *testing.T) {
	t.Parallel()
	b := azSetup(t)
	trk := b.azotte.Create(sandbox.AzotteCheckout{Scenario: sandbox.AzotteDone, ProcessingChecks: 1, RetryAfter: 9, FollowUpSeconds: 3})
	c := b.registerAzotte(t, b.merchant, trk)
	b.runOnce(t, 1)
	b.wantNext(t, b.checkout(t, b.merchant, c.ID), 9*time.Second)
	b.clock.Advance(8 * time.Second)
	b.runOnce(t, 0)
	b.clock.Advance(time.Second)
	b.runOnce(t, 1)
	if got := b.checkout(t, b.merchant, c.ID); got.State != store.StateSucceeded || got.ResolvedBy != store.SourcePoll || got.Anomaly != nil {
		t.Fatalf("state %s resolved_by %q anomaly %v", got.State, got.ResolvedBy, got.Anomaly)
	}
}

func TestAzotteNotFoundThenFound(t *testing.T) {
	t.Parallel()
	b := azSetup(t)
	trk := b.azotte.Create(sandbox.AzotteCheckout{Scenario: sandbox.AzotteNotFoundThenFound, ProcessingChecks: 2})
	c := b.registerAzotte(t, b.merchant, trk)
	for _, wait := range []time.Duration{time.Second, 2 * time.Second} { // backoff from MinInterval
		b.runOnce(t, 1)
		got := b.checkout(t, b.merchant, c.ID)
		if got.State != store.StatePending || got.Anomaly != nil {
			t.Fatalf("404 inside the window: %s anomaly %v", got.State, got.Anomaly)
		}
		b.wantNext(t, got, wait)
		b.clock.Advance(wait)
	}
	b.runOnce(t, 1)
	got := b.checkout(t, b.merchant, c.ID)
	if got.State != store.StateSucceeded || got.ResolvedBy != store.SourcePoll {
		t.Fatalf("state %s resolved_by %q", got.State, got.ResolvedBy)
	}
	events := strings.Join(eventTypes(t, b.db, b.merchant.ID, c.ID), " ")
	if strings.Count(events, "check_failed:ORDERED_ITEM_NOT_FOUND") != 2 {
		t.Fatalf("events %s", events)
	}
}

func TestAzotteNotFoundForeverStops(t *testing.T) {
	t.Parallel()
	b := azSetup(t)
	c := b.registerAzotte(t, b.merchant, "trk_never_propagated")
	created := b.clock.Now()
	checks := 0
	for {
		b.runOnce(t, 1)
		checks++
		got := b.checkout(t, b.merchant, c.ID)
		if got.State != store.StatePending {
			t.Fatalf("a 404 made the checkout %s", got.State)
		}
		if got.NextCheckAt == nil {
			break
		}
		if checks > 20 {
			t.Fatalf("still polling after %d checks (%v after registration)", checks, b.clock.Now().Sub(created))
		}
		b.clock.Set(*got.NextCheckAt)
	}
	got := b.checkout(t, b.merchant, c.ID)
	if got.Anomaly == nil || got.Anomaly.Code != store.AnomalyNotFound || !strings.Contains(got.Anomaly.Detail, "ORDERED_ITEM_NOT_FOUND") {
		t.Fatalf("anomaly %+v, want not_found", got.Anomaly)
	}
	if since := b.clock.Now().Sub(created); since < b.cfg.NotFoundWindow {
		t.Fatalf("gave up %v after registration, before the %v window", since, b.cfg.NotFoundWindow)
	}
	b.clock.Advance(time.Hour)
	b.runOnce(t, 0) // stopped

	// A refresh still checks; once Azotte knows the tracking number it settles.
	b.azotte.Create(sandbox.AzotteCheckout{TrackingNumber: "trk_never_propagated"})
	if _, err := b.db.RequestCheck(b.ctx, b.merchant.ID, c.ID); err != nil {
		t.Fatal(err)
	}
	b.runOnce(t, 1)
	if got := b.checkout(t, b.merchant, c.ID); got.State != store.StateSucceeded || got.Anomaly != nil {
		t.Fatalf("after the refresh: %s anomaly %v", got.State, got.Anomaly)
	}
}

func TestAzotteConflictStops(t *testing.T) {
	t.Parallel()
	b := azSetup(t)
	trk := b.azotte.Create(sandbox.AzotteCheckout{Scenario: sandbox.AzotteConflict})
	c := b.registerAzotte(t, b.merchant, trk)
	b.runOnce(t, 1)
	got := b.checkout(t, b.merchant, c.ID)
	if got.State != store.StatePending || got.NextCheckAt != nil {
		t.Fatalf("state %s next %v, want pending and stopped", got.State, got.NextCheckAt)
	}
	if got.Anomaly == nil || got.Anomaly.Code != store.AnomalyConflict || !strings.Contains(got.Anomaly.Detail, "belongs to another tenant") {
		t.Fatalf("anomaly %+v", got.Anomaly)
	}
	b.clock.Advance(time.Hour)
	b.runOnce(t, 0)
}

func TestAzotteUnknownCodeKeepsStateAndBacksOff(t *testing.T) {
	t.Parallel()
	b := azSetup(t)
	odd := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"trackingNumber":"trk_odd","status":{"messageCode":"CHECK_OUT_REFUND_REVIEW"}}`))
	}))
	t.Cleanup(odd.Close)
	m := b.azotteMerchant(t, odd.URL+"/api", "sk_acme")
	c := b.registerAzotte(t, m, "trk_odd")
	for _, wait := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second} {
		b.runOnce(t, 1)
		got := b.checkout(t, m, c.ID)
		if got.State != store.StatePending || got.ProviderStatus != "CHECK_OUT_REFUND_REVIEW" || got.Anomaly != nil {
			t.Fatalf("state %s status %s anomaly %v", got.State, got.ProviderStatus, got.Anomaly)
		}
		b.wantNext(t, got, wait)
		b.clock.Advance(wait)
	}
	if events := eventTypes(t, b.db, m.ID, c.ID); events[1] != "status_checked:CHECK_OUT_REFUND_REVIEW" {
		t.Fatalf("events %v", events)
	}
}

func TestAzotteCredentialsRejected(t *testing.T) {
	t.Parallel()
	b := azSetup(t)
	m := b.azotteMerchant(t, b.srv.URL+"/api/v1", "sk_wrong")
	trk := b.azotte.Create(sandbox.AzotteCheckout{})
	c := b.registerAzotte(t, m, trk)
	b.runOnce(t, 1)
	got := b.checkout(t, m, c.ID)
	if got.Anomaly == nil || got.Anomaly.Code != store.AnomalyCredentials || got.State != store.StatePending {
		t.Fatalf("state %s anomaly %+v", got.State, got.Anomaly)
	}
	b.wantNext(t, got, b.cfg.MaxInterval)
}

// browserReturn records the buyer's browser coming back, as the return page does.
func browserReturn(ctx context.Context, db *store.DB, c store.Checkout) (store.Checkout, error) {
	got, _, err := db.BrowserReturned(ctx, c.Token, 0)
	return got, err
}
