package poller

import (
	"cmp"
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/paysync/paysync/providers"
	"github.com/paysync/paysync/sandbox"
	"github.com/paysync/paysync/store"
	"github.com/paysync/paysync/store/sqlite/sqlitetest"
)

// The one fixture of the poller's tests: setup(t, options) opens a store
// over real SQLite in t.TempDir(), starts a provider's status API behind
// httptest (a sandbox PayUnit or Azotte, or a handler of the test's own),
// creates the merchants and builds a poller whose checker is the
// registry's (providers), wrapped as the test asks.

var masterKey = []byte("0123456789abcdef0123456789abcdef")

// options says what a test needs beyond the defaults of setup.
type options struct {
	// cfg is the poller's Config; setup fills Now (the bundle's clock),
	// Metrics (the bundle's registry), Jitter (0) and MerchantRate and
	// MerchantBurst (1000) where they are zero.
	cfg Config
	// now, when set, is the clock of the store and the poller instead of
	// the bundle's fake one (time.Now for the loop on the real clock).
	now func() time.Time
	// azotte asks for a sandbox Azotte and Azotte merchants instead of
	// PayUnit's.
	azotte bool
	// payunit, when set, is PayUnit's status API instead of the sandbox
	// (b.payunit is then nil).
	payunit http.Handler
	// mode is the PayUnit accounts' mode ("test").
	mode string
	// merchants is how many merchants share the provider's host (1).
	merchants int
	// checker, when set, wraps the provider's checker (built before the
	// poller, after the merchants).
	checker func(b *bundle, c Checker) Checker
}

// bundle is what a poller test works with.
type bundle struct {
	ctx       context.Context
	clock     *sandbox.Clock // the fake clock (unused when options.now is set)
	now       func() time.Time
	db        *store.DB
	payunit   *sandbox.PayUnit // nil with options.azotte or options.payunit
	azotte    *sandbox.Azotte  // set with options.azotte
	srv       *httptest.Server // the provider's status API
	provider  string           // the provider's name
	merchants []store.CreatedMerchant
	merchant  store.CreatedMerchant // merchants[0]
	poller    *Poller
	cfg       Config // as the poller runs it, defaults filled
	reg       *prometheus.Registry
}

// setup returns a bundle as opts asks; the zero options are a PayUnit
// sandbox, one merchant in test mode and a poller on a fake clock.
func setup(t *testing.T, opts options) *bundle {
	t.Helper()
	b := &bundle{ctx: t.Context(), clock: sandbox.NewClock(time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)),
		reg: prometheus.NewRegistry(), provider: store.ProviderPayUnit}
	b.now = b.clock.Now
	if opts.now != nil {
		b.now = opts.now
	}
	db, err := sqlitetest.Open(b.ctx, filepath.Join(t.TempDir(), "paysync.db"), store.Options{MasterKey: masterKey, Now: b.now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	b.db = db
	b.startProvider(t, opts)
	for range max(opts.merchants, 1) {
		b.merchants = append(b.merchants, b.newMerchant(t, b.account(opts)))
	}
	b.merchant = b.merchants[0]
	b.poller = b.newPoller(t, opts)
	return b
}

// startProvider serves the provider's status API for the test.
func (b *bundle) startProvider(t *testing.T, opts options) {
	var h http.Handler
	switch {
	case opts.azotte:
		b.provider = store.ProviderAzotte
		b.azotte = sandbox.NewAzotte(sandbox.AzotteOptions{TenantID: "tn_acme", APIKey: "sk_acme", Clock: b.clock})
		h = b.azotte
	case opts.payunit != nil:
		h = opts.payunit
	default:
		b.payunit = sandbox.NewPayUnit(sandbox.PayUnitConfig{APIKey: "k", APIUser: "u", APIPassword: "p", Mode: "test"})
		h = b.payunit
	}
	b.srv = httptest.NewServer(h)
	t.Cleanup(b.srv.Close)
}

// account is the merchants' account with the provider.
func (b *bundle) account(opts options) store.NewMerchant {
	if opts.azotte {
		return store.NewMerchant{Name: "acme", Azotte: &store.AzotteAccount{BaseURL: b.srv.URL + "/api/v1", TenantID: "tn_acme", APIKey: "sk_acme"}}
	}
	return store.NewMerchant{Name: "acme", PayUnit: &store.PayUnitAccount{BaseURL: b.srv.URL, APIUser: "u", APIPassword: "p",
		APIKey: "k", Mode: cmp.Or(opts.mode, "test")}}
}

// newMerchant creates a merchant with account m.
func (b *bundle) newMerchant(t *testing.T, m store.NewMerchant) store.CreatedMerchant {
	t.Helper()
	created, err := b.db.CreateMerchant(b.ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	return created
}

// newPoller builds the poller over the registry's checker of b.provider.
func (b *bundle) newPoller(t *testing.T, opts options) *Poller {
	t.Helper()
	cfg := opts.cfg
	cfg.Now, cfg.Metrics = b.now, b.reg
	if cfg.Jitter == nil {
		cfg.Jitter = func() float64 { return 0 }
	}
	if cfg.MerchantRate == 0 {
		cfg.MerchantRate, cfg.MerchantBurst = 1000, 1000
	}
	c := checkerOf(t, b.provider, b.srv.Client())
	if opts.checker != nil {
		c = opts.checker(b, c)
	}
	p, err := New(b.db, map[string]Checker{b.provider: c}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if b.cfg, err = cfg.withDefaults(); err != nil {
		t.Fatal(err)
	}
	return p
}

// checkerOf is the registry's checker of the provider called name,
// sending its requests with hc.
func checkerOf(t *testing.T, name string, hc *http.Client) Checker {
	t.Helper()
	p, ok := providers.Lookup(name)
	if !ok {
		t.Fatalf("no provider %q in the registry", name)
	}
	return p.Checker(hc)
}

// start runs the poller's loop until the test ends.
func (b *bundle) start(t *testing.T) {
	t.Helper()
	b.poller.Start(b.ctx)
	t.Cleanup(b.poller.Stop)
}

// runOnce runs one pass and checks that it checked want checkouts.
func (b *bundle) runOnce(t *testing.T, want int) {
	t.Helper()
	n, err := b.poller.RunOnce(b.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n != want {
		t.Fatalf("RunOnce checked %d checkouts, want %d", n, want)
	}
}

// checkout returns merchant m's checkout id as stored.
func (b *bundle) checkout(t *testing.T, m store.CreatedMerchant, id string) store.Checkout {
	t.Helper()
	c, err := b.db.Checkout(b.ctx, m.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// get returns the first merchant's checkout id as stored.
func (b *bundle) get(t *testing.T, id string) store.Checkout {
	t.Helper()
	return b.checkout(t, b.merchant, id)
}

// registerPayUnit creates a sandbox payment and registers it as m's
// checkout, first checked at firstCheck unless a callback comes; it
// returns the checkout and PayUnit's checkout id.
func (b *bundle) registerPayUnit(t *testing.T, m store.CreatedMerchant, txn string, scenario sandbox.Scenario, firstCheck time.Time) (store.Checkout, string) {
	t.Helper()
	puID := b.payunit.Create(sandbox.Payment{TransactionID: txn, Amount: "10", Currency: "XAF", Scenario: scenario})
	c, _, err := b.db.RegisterCheckout(b.ctx, store.NewCheckout{MerchantID: m.ID, Provider: store.ProviderPayUnit,
		Reference: txn, Amount: "10", Currency: "XAF", FirstCheckAt: firstCheck})
	if err != nil {
		t.Fatal(err)
	}
	return c, puID
}

// counter sums the metric's samples whose labels include want.
func (b *bundle) counter(t *testing.T, name string, want map[string]string) float64 {
	t.Helper()
	mfs, err := b.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if hasLabels(m, want) {
				sum += m.GetCounter().GetValue() + m.GetGauge().GetValue()
			}
		}
	}
	return sum
}

func hasLabels(m *dto.Metric, want map[string]string) bool {
	n := 0
	for _, l := range m.GetLabel() {
		if v, ok := want[l.GetName()]; ok && v == l.GetValue() {
			n++
		}
	}
	return n == len(want)
}

// nextDue is the earliest scheduled check, zero when none.
func (b *bundle) nextDue(t *testing.T) time.Time {
	t.Helper()
	next, ok, err := b.db.NextDue(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		return time.Time{}
	}
	return next
}
