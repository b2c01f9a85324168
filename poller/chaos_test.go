package poller

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/paysync/paysync/internal/testwait"
	"github.com/paysync/paysync/sandbox"
	"github.com/paysync/paysync/store"
)

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
		MaxWait: 50 * time.Millisecond, MerchantRate: 100000, MerchantBurst: 100000}
	r := setup(t, options{now: time.Now, cfg: cfg})
	r.payunit.SetFaults(sandbox.Faults{Seed: 5, TimeoutRate: 0.05, Status429Rate: 0.05, RetryAfter: 1, Status5xxRate: 0.05,
		BadGatewayRate: 0.05, HTMLRate: 0.05, MalformedRate: 0.05, SlowBodyRate: 0.05, SlowBodyPause: 10 * time.Millisecond})
	r.start(t)

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
		c, puID := r.registerPayUnit(t, r.merchant, fmt.Sprintf("chaos-%d", i), sc, time.Now().Add(50*time.Millisecond))
		w := &watched{c: c, puID: puID, truth: truths[sc], scenario: sc}
		all[i] = w
		// The buyer finishes 0–300ms later; PayUnit's callback (a hint) comes then, unless lost.
		resolving.Add(1)
		time.AfterFunc(time.Duration(rng.IntN(300))*time.Millisecond, func() {
			defer resolving.Done()
			if err := r.payunit.SetStatus(puID, map[store.State]string{store.StateSucceeded: sandbox.StatusSuccess,
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

	for _, w := range all {
		testwait.For(t, fmt.Sprintf("%s (%s) settles", w.c.Reference, w.scenario), func() bool {
			return r.get(t, w.c.ID).State.Terminal()
		})
	}
	r.poller.Stop()

	maxChecks, maxBound, total := 0, 0, 0
	for _, w := range all {
		got := r.get(t, w.c.ID)
		if got.State != w.truth {
			t.Errorf("%s (%s): %s, want %s (anomaly %+v)", w.c.Reference, w.scenario, got.State, w.truth, got.Anomaly)
		}
		checks := r.payunit.Checks(w.puID)
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
	faults := r.payunit.FaultCounts()
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
