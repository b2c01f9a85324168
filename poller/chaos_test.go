package poller

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/paysync/paysync/provider/payunit"
	"github.com/paysync/paysync/sandbox"
	"github.com/paysync/paysync/store"
	"github.com/paysync/paysync/store/sqlite/sqlitetest"
)

// rig is a poller over real SQLite and a sandbox PayUnit behind httptest.
type rig struct {
	db       *store.DB
	pu       *sandbox.PayUnit
	merchant store.CreatedMerchant
	poller   *Poller
	cfg      Config
	reg      *prometheus.Registry
	// gate, when set, holds every check just before it reaches PayUnit
	// (after the breaker let it through) until the gate opens.
	gate atomic.Pointer[gate]
}

// gate lets checks through once n of them are waiting at it, so a test
// can have n checks pass the breaker before any of their answers counts.
type gate struct {
	mu      sync.Mutex
	waiting int
	n       int
	open    chan struct{}
}

func newGate(n int) *gate { return &gate{n: n, open: make(chan struct{})} }

func (g *gate) pass(ctx context.Context) {
	g.mu.Lock()
	if g.waiting++; g.waiting == g.n {
		close(g.open)
	}
	g.mu.Unlock()
	select {
	case <-g.open:
	case <-ctx.Done():
	}
}

func newRig(t *testing.T, now func() time.Time, cfg Config) *rig {
	t.Helper()
	ctx := t.Context()
	db, err := sqlitetest.Open(ctx, filepath.Join(t.TempDir(), "paysync.db"),
		store.Options{MasterKey: []byte("0123456789abcdef0123456789abcdef"), Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	pu := sandbox.NewPayUnit(sandbox.PayUnitConfig{APIKey: "k", APIUser: "u", APIPassword: "p", Mode: "test"})
	srv := httptest.NewServer(pu)
	t.Cleanup(srv.Close)
	m, err := db.CreateMerchant(ctx, store.NewMerchant{Name: "acme",
		PayUnit: &store.PayUnitAccount{BaseURL: srv.URL, APIUser: "u", APIPassword: "p", APIKey: "k", Mode: "test"}})
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	cfg.Now, cfg.Metrics = now, reg
	cfg.MerchantRate, cfg.MerchantBurst = 100000, 100000
	r := &rig{db: db, pu: pu, merchant: m, reg: reg}
	pc := PayUnitChecker{Client: payunit.New(srv.Client())}
	gated := CheckerFunc(func(ctx context.Context, m store.Merchant, c store.Checkout) Report {
		if g := r.gate.Load(); g != nil {
			g.pass(ctx)
		}
		return pc.Check(ctx, m, c)
	})
	p, err := New(db, map[string]Checker{store.ProviderPayUnit: gated}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	r.poller = p
	r.cfg, _ = cfg.withDefaults()
	return r
}

// register creates a sandbox payment and registers its checkout, first
// checked at firstCheck unless a callback comes.
func (r *rig) register(t *testing.T, txn string, scenario sandbox.Scenario, firstCheck time.Time) (store.Checkout, string) {
	t.Helper()
	puID := r.pu.Create(sandbox.Payment{TransactionID: txn, Amount: "10", Currency: "XAF", Scenario: scenario})
	c, _, err := r.db.RegisterCheckout(t.Context(), store.NewCheckout{MerchantID: r.merchant.ID, Provider: store.ProviderPayUnit,
		Reference: txn, Amount: "10", Currency: "XAF", FirstCheckAt: firstCheck})
	if err != nil {
		t.Fatal(err)
	}
	return c, puID
}

func (r *rig) get(t *testing.T, id string) store.Checkout {
	t.Helper()
	c, err := r.db.Checkout(t.Context(), r.merchant.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// counter sums the metric's samples whose labels include want.
func (r *rig) counter(t *testing.T, name string, want map[string]string) float64 {
	t.Helper()
	mfs, err := r.reg.Gather()
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

// checksBound is the most provider checks the schedule allows in elapsed
// from a first check at 0: every delay as short as the schedule can make
// it (jitter at its top, no Retry-After, every check instant). woken starts
// with the quick re-checks a callback buys.
func (cfg Config) checksBound(elapsed time.Duration, woken bool) int {
	t0 := time.Unix(0, 0)
	c := store.Checkout{CreatedAt: t0}
	if woken {
		c.WakeReason = store.SourceCallback
	}
	now, checks := t0, 1
	for {
		p := cfg.schedule(now, c, outcome{}, 0.999999)
		if p.next == nil || p.next.Sub(t0) > elapsed {
			return checks
		}
		now, c.Attempts = *p.next, p.attempts
		checks++
	}
}

// TestChaosConverges runs the poller loop on the real clock against a
// sandbox PayUnit that times out, trickles bodies, answers 5xx, 429, HTML
// and truncated JSON at fixed rates (seeded), while buyers pay, fail or
// cancel, with callbacks or without. Every checkout must settle on the
// provider's truth, and no checkout may be checked more often than the
// schedule allows.
func TestChaosConverges(t *testing.T) {
	t.Parallel()
	cfg := Config{MinInterval: 20 * time.Millisecond, MaxInterval: 200 * time.Millisecond, MaxAge: time.Hour,
		CheckTimeout: 150 * time.Millisecond, Concurrency: 16, BreakerFailures: 5, BreakerCooldown: 100 * time.Millisecond,
		MaxWait: 50 * time.Millisecond}
	r := newRig(t, time.Now, cfg)
	r.pu.SetFaults(sandbox.Faults{Seed: 5, TimeoutRate: 0.05, Status429Rate: 0.05, RetryAfter: 1, Status5xxRate: 0.05,
		BadGatewayRate: 0.05, HTMLRate: 0.05, MalformedRate: 0.05, SlowBodyRate: 0.05, SlowBodyPause: 10 * time.Millisecond})
	r.poller.Start(t.Context())
	t.Cleanup(r.poller.Stop)

	type watched struct {
		c          store.Checkout
		puID       string
		truth      store.State
		scenario   sandbox.Scenario
		callbackAt time.Time // zero: no callback
	}
	truths := map[sandbox.Scenario]store.State{sandbox.ScenarioPays: store.StateSucceeded, sandbox.ScenarioPaysLost: store.StateSucceeded,
		sandbox.ScenarioFails: store.StateFailed, sandbox.ScenarioCancelled: store.StateCancelled}
	scenarios := []sandbox.Scenario{sandbox.ScenarioPays, sandbox.ScenarioPaysLost, sandbox.ScenarioFails, sandbox.ScenarioCancelled}
	const n = 80
	rng := rand.New(rand.NewPCG(5, 5))
	var mu sync.Mutex
	var resolving sync.WaitGroup
	all := make([]*watched, n)
	for i := range all {
		sc := scenarios[i%len(scenarios)]
		c, puID := r.register(t, fmt.Sprintf("chaos-%d", i), sc, time.Now().Add(50*time.Millisecond))
		w := &watched{c: c, puID: puID, truth: truths[sc], scenario: sc}
		all[i] = w
		// The buyer finishes 0–300ms later; PayUnit's callback (a hint) comes then, unless lost.
		resolving.Add(1)
		time.AfterFunc(time.Duration(rng.IntN(300))*time.Millisecond, func() {
			defer resolving.Done()
			if err := r.pu.SetStatus(puID, map[store.State]string{store.StateSucceeded: sandbox.StatusSuccess,
				store.StateFailed: sandbox.StatusFailed, store.StateCancelled: sandbox.StatusCancelled}[w.truth]); err != nil {
				t.Error(err)
				return
			}
			if sc == sandbox.ScenarioPaysLost {
				return
			}
			mu.Lock()
			w.callbackAt = time.Now()
			mu.Unlock()
			if _, err := r.db.RecordNotification(t.Context(), store.Notification{MerchantID: r.merchant.ID,
				Provider: store.ProviderPayUnit, TransactionID: c.Reference, Status: "X", Body: []byte(`{}`)}); err != nil {
				t.Error(err)
			}
			r.poller.Wake()
		})
	}
	resolving.Wait()

	deadline := time.Now().Add(60 * time.Second)
	for _, w := range all {
		for !r.get(t, w.c.ID).State.Terminal() {
			if time.Now().After(deadline) {
				got := r.get(t, w.c.ID)
				t.Fatalf("%s (%s) still %s after 60s: %+v", w.c.Reference, w.scenario, got.State, got.Anomaly)
			}
			<-time.After(10 * time.Millisecond) // a look at a condition, not a wait for work
		}
	}
	r.poller.Stop()

	maxChecks, maxBound, total := 0, 0, 0
	for _, w := range all {
		got := r.get(t, w.c.ID)
		if got.State != w.truth {
			t.Errorf("%s (%s): %s, want %s (anomaly %+v)", w.c.Reference, w.scenario, got.State, w.truth, got.Anomaly)
		}
		checks := r.pu.Checks(w.puID)
		total += checks
		// Before the callback: plain backoff; after it: one immediate check,
		// one more if the callback landed during a check, then the quick re-checks.
		settled := got.UpdatedAt.Add(2 * time.Millisecond) // ms resolution in the database
		bound := 0
		if w.callbackAt.IsZero() {
			bound = r.cfg.checksBound(settled.Sub(got.CreatedAt), false)
		} else {
			bound = r.cfg.checksBound(w.callbackAt.Sub(got.CreatedAt), false) + 1 +
				r.cfg.checksBound(settled.Sub(w.callbackAt), true)
		}
		if checks > bound {
			t.Errorf("%s (%s): %d checks in %v, schedule allows %d", w.c.Reference, w.scenario, checks,
				settled.Sub(got.CreatedAt), bound)
		}
		if checks > maxChecks {
			maxChecks, maxBound = checks, bound
		}
	}
	faults := r.pu.FaultCounts()
	injected := 0
	for _, v := range faults {
		injected += v
	}
	t.Logf("chaos: %d checkouts converged; %d provider requests, %d faults injected %v; max %d checks per checkout (bound %d there); "+
		"breaker opened %v times, closed %v times; %v checks held back",
		n, total, injected, faults, maxChecks, maxBound,
		r.counter(t, "paysync_circuit_transitions_total", map[string]string{"to": "open"}),
		r.counter(t, "paysync_circuit_transitions_total", map[string]string{"to": "closed"}),
		r.counter(t, "paysync_checks_held_back_total", nil))
	if injected == 0 {
		t.Fatal("no fault was injected; the test proves nothing")
	}
}
