package poller

import (
	"context"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/paysync/paysync/provider/payunit"
	"github.com/paysync/paysync/sandbox"
	"github.com/paysync/paysync/store"
	"github.com/paysync/paysync/store/sqlite/sqlitetest"
)

// tenants is two merchants on one PayUnit host: noisy and quiet.
type tenants struct {
	db           *store.DB
	pu           *sandbox.PayUnit
	clock        *sandbox.Clock
	noisy, quiet store.CreatedMerchant
	reg          *prometheus.Registry
}

func newTenants(t *testing.T) *tenants {
	t.Helper()
	ctx := t.Context()
	clock := sandbox.NewClock(time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC))
	db, err := sqlitetest.Open(ctx, filepath.Join(t.TempDir(), "paysync.db"),
		store.Options{MasterKey: []byte("0123456789abcdef0123456789abcdef"), Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	pu := sandbox.NewPayUnit(sandbox.PayUnitConfig{APIKey: "k", APIUser: "u", APIPassword: "p", Mode: "test"})
	srv := httptest.NewServer(pu)
	t.Cleanup(srv.Close)
	ts := &tenants{db: db, pu: pu, clock: clock, reg: prometheus.NewRegistry()}
	for _, m := range []*store.CreatedMerchant{&ts.noisy, &ts.quiet} {
		if *m, err = db.CreateMerchant(ctx, store.NewMerchant{Name: "shop",
			PayUnit: &store.PayUnitAccount{BaseURL: srv.URL, APIUser: "u", APIPassword: "p", APIKey: "k", Mode: "test"}}); err != nil {
			t.Fatal(err)
		}
	}
	return ts
}

// register registers a checkout of m due now whose buyer paid.
func (ts *tenants) register(t *testing.T, m store.CreatedMerchant, txn string) store.Checkout {
	t.Helper()
	puID := ts.pu.Create(sandbox.Payment{TransactionID: txn, Amount: "10", Currency: "XAF", Scenario: sandbox.ScenarioPaysLost})
	if err := ts.pu.SetStatus(puID, sandbox.StatusSuccess); err != nil {
		t.Fatal(err)
	}
	c, _, err := ts.db.RegisterCheckout(t.Context(), store.NewCheckout{MerchantID: m.ID, Provider: store.ProviderPayUnit,
		Reference: txn, Amount: "10", Currency: "XAF", FirstCheckAt: ts.clock.Now()})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestOneMerchantsFailuresDontOpenTheCircuitForOthers: the noisy merchant's
// 8 checkouts are answered with a 502 HTML page; the quiet merchant's paid
// checkout on the same PayUnit host, due after them, is still checked and
// settled in the same pass (on the breaker shared per host it waited for
// the cool-down), while the noisy merchant's own checks are held back.
func TestOneMerchantsFailuresDontOpenTheCircuitForOthers(t *testing.T) {
	t.Parallel()
	ts := newTenants(t)
	pc := PayUnitChecker{Client: payunit.New(nil)}
	var mu sync.Mutex
	var order []string // who was sent to the provider, in order
	checker := CheckerFunc(func(ctx context.Context, m store.Merchant, c store.Checkout) Report {
		mu.Lock()
		order = append(order, c.Reference)
		mu.Unlock()
		if m.ID == ts.noisy.ID { // PayUnit's nginx answers this merchant's checks with a 502 page
			return Report{Unavailable: true, Finding: Finding{Failure: "PayUnit answered 502 with an HTML page"}}
		}
		return pc.Check(ctx, m, c)
	})
	p, err := New(ts.db, map[string]Checker{store.ProviderPayUnit: checker}, Config{Now: ts.clock.Now,
		Concurrency: 1, BreakerFailures: 5, BreakerCooldown: 30 * time.Second, Jitter: func() float64 { return 0 },
		MerchantRate: 1000, MerchantBurst: 1000, Metrics: ts.reg})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 8 {
		ts.register(t, ts.noisy, fmt.Sprintf("noisy-%d", i))
	}
	ts.clock.Advance(time.Second) // the quiet checkout is due last
	quiet := ts.register(t, ts.quiet, "quiet")
	due := ts.clock.Now()
	var verdict time.Duration
	for pass := 0; ; pass++ {
		if _, err := p.RunOnce(t.Context()); err != nil {
			t.Fatal(err)
		}
		c, err := ts.db.Checkout(t.Context(), ts.quiet.ID, quiet.ID)
		if err != nil {
			t.Fatal(err)
		}
		if c.State == store.StateSucceeded {
			verdict = ts.clock.Now().Sub(due)
			break
		}
		next, ok, err := ts.db.NextDue(t.Context())
		if err != nil || !ok || pass > 20 {
			t.Fatalf("quiet checkout %s after %d passes (next due %v %v)", c.State, pass, next, err)
		}
		ts.clock.Set(next)
	}
	t.Logf("quiet merchant's time to verdict while the noisy one fails: %v (injected clock); sent: %v", verdict, order)
	if verdict != 0 {
		t.Errorf("the quiet merchant's paid checkout settled %v after it was due, want in its first pass", verdict)
	}
	if len(order) != 6 || order[5] != "quiet" {
		t.Errorf("sent %v: want the noisy merchant's 5 failures (its circuit then holds its other 3 back), then the quiet check", order)
	}
}

// TestOverBudgetMerchantHoldsNoSlot: a merchant over its check budget
// doesn't sit in a poller slot waiting for a token: its checkouts go back
// to the store for later and the slots serve the next due checkouts, here
// the quiet merchant's. (Before, the two slots waited on the noisy
// merchant's limiter and the quiet check waited with them.)
func TestOverBudgetMerchantHoldsNoSlot(t *testing.T) {
	t.Parallel()
	ts := newTenants(t)
	var mu sync.Mutex
	noisyChecks := 0
	quietAt := -1 // how many noisy checks were sent before the quiet one
	checked := make(chan struct{})
	checker := CheckerFunc(func(ctx context.Context, m store.Merchant, c store.Checkout) Report {
		mu.Lock()
		defer mu.Unlock()
		if m.ID == ts.noisy.ID {
			noisyChecks++
		} else if quietAt < 0 {
			quietAt = noisyChecks
			close(checked)
		}
		return Report{Finding: Finding{State: store.StatePending, ProviderStatus: "PENDING"}}
	})
	// One check an hour, one at once: every noisy checkout after the first
	// is over budget (the quiet merchant's single check is within its own).
	p, err := New(ts.db, map[string]Checker{store.ProviderPayUnit: checker}, Config{Now: ts.clock.Now,
		Concurrency: 2, MerchantRate: 1.0 / 3600, MerchantBurst: 1, Jitter: func() float64 { return 0 }, Metrics: ts.reg})
	if err != nil {
		t.Fatal(err)
	}
	var noisy []store.Checkout
	for i := range 10 {
		noisy = append(noisy, ts.register(t, ts.noisy, fmt.Sprintf("noisy-%d", i)))
	}
	ts.clock.Advance(time.Second)
	ts.register(t, ts.quiet, "quiet")
	start := time.Now()
	p.Start(context.Background())
	defer p.Stop()
	select {
	case <-checked:
	case <-time.After(10 * time.Second):
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("the quiet merchant's check never ran (noisy checks sent: %d): the slots wait on the noisy budget", noisyChecks)
	}
	elapsed := time.Since(start)
	p.Stop()
	mu.Lock()
	defer mu.Unlock()
	t.Logf("quiet merchant's check ran after %d noisy checks, %v after start (real time)", quietAt, elapsed)
	if quietAt != 1 || noisyChecks != 1 {
		t.Errorf("noisy checks before the quiet one %d, in all %d; want 1 and 1 (its burst)", quietAt, noisyChecks)
	}
	deferred := 0
	for _, c := range noisy {
		got, err := ts.db.Checkout(t.Context(), ts.noisy.ID, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Attempts == 0 && got.NextCheckAt != nil && got.NextCheckAt.After(ts.clock.Now()) {
			deferred++
		}
	}
	if deferred != 9 {
		t.Errorf("%d noisy checkouts deferred without an attempt, want 9", deferred)
	}
}
