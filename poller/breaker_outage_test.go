package poller

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paysync/paysync/provider/plugin"
	"github.com/paysync/paysync/sandbox"
	"github.com/paysync/paysync/store"
)

// TestOutageTripsBreakerAndRecovers: PayUnit fails outright; the breaker
// opens, holds checks back (no requests, no lost attempts, no expiry),
// probes after each cool-down, and closes by itself once PayUnit is back.
func TestOutageTripsBreakerAndRecovers(t *testing.T) {
	t.Parallel()
	r, gate := gatedSetup(t, options{cfg: Config{MinInterval: 5 * time.Second, MaxInterval: 10 * time.Minute, MaxAge: 72 * time.Hour,
		Concurrency: 16, BreakerFailures: 5, BreakerCooldown: 30 * time.Second}})
	clock := r.clock
	ctx := t.Context()
	run := func(wantRequests int) {
		t.Helper()
		before := r.payunit.TotalChecks()
		if _, err := r.poller.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		if got := r.payunit.TotalChecks() - before; got != wantRequests {
			t.Fatalf("%d requests reached PayUnit, want %d", got, wantRequests)
		}
	}
	transitions := func(to string) float64 {
		return r.counter(t, "paysync_circuit_transitions_total", map[string]string{"to": to})
	}
	var ids, puIDs []string
	for i := range 10 {
		c, puID := r.registerPayUnit(t, r.merchant, fmt.Sprintf("outage-%d", i), sandbox.ScenarioPaysLost, clock.Now())
		ids, puIDs = append(ids, c.ID), append(puIDs, puID)
	}
	r.payunit.SetFaults(sandbox.Faults{Status5xxRate: 1})
	gate.Store(newGate(10)) // all ten pass the breaker before any failure counts
	run(10)                 // the fifth failure opens the circuit
	gate.Store(nil)
	if transitions("open") != 1 {
		t.Fatalf("circuit opened %v times, want 1", transitions("open"))
	}
	opened := clock.Now()

	clock.Advance(5 * time.Second) // every checkout is due again
	run(0)                         // held back: nothing sent
	for _, id := range ids {
		c := r.get(t, id)
		if c.State != store.StatePending || c.Attempts != 1 || c.NextCheckAt == nil || !c.NextCheckAt.Equal(opened.Add(30*time.Second)) {
			t.Fatalf("held back: state %s attempts %d next %v, want pending, 1, at the probe time %v",
				c.State, c.Attempts, c.NextCheckAt, opened.Add(30*time.Second))
		}
	}
	if got := r.counter(t, "paysync_checks_held_back_total", nil); got != 10 {
		t.Fatalf("held back %v checks, want 10", got)
	}

	clock.Set(opened.Add(30 * time.Second))
	run(1) // one probe; PayUnit still down: open again
	if transitions("half_open") != 1 || transitions("open") != 2 {
		t.Fatalf("after a failed probe: half_open %v, open %v", transitions("half_open"), transitions("open"))
	}

	r.payunit.SetFaults(sandbox.Faults{}) // PayUnit is back, and the buyers did pay
	for _, puID := range puIDs {
		if err := r.payunit.SetStatus(puID, sandbox.StatusSuccess); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; ; i++ {
		next := r.nextDue(t)
		if next.IsZero() {
			break
		}
		if i > 20 {
			t.Fatal("no recovery after 20 passes")
		}
		clock.Set(next)
		if _, err := r.poller.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if transitions("closed") != 1 {
		t.Fatalf("circuit closed %v times, want 1", transitions("closed"))
	}
	for _, id := range ids {
		if c := r.get(t, id); c.State != store.StateSucceeded {
			t.Fatalf("%s: %s after recovery, want succeeded", id, c.State)
		}
	}
	if got := r.counter(t, "paysync_circuit_state", nil); got != 0 {
		t.Fatalf("circuit state gauge %v, want 0 (closed)", got)
	}
	t.Logf("outage: circuit opened %v times, probed %v times, closed %v; %v checks held back; recovered %v after opening",
		transitions("open"), transitions("half_open"), transitions("closed"),
		r.counter(t, "paysync_checks_held_back_total", nil), clock.Now().Sub(opened))
}

// gatedSetup is setup whose checks wait, just before they reach the
// provider (after the breaker let them through), at the gate the returned
// pointer holds, if any.
func gatedSetup(t *testing.T, opts options) (*bundle, *atomic.Pointer[gate]) {
	t.Helper()
	var g atomic.Pointer[gate]
	opts.checker = func(_ *bundle, c Checker) Checker {
		return CheckerFunc(func(ctx context.Context, m store.Merchant, ck store.Checkout) plugin.Report {
			if x := g.Load(); x != nil {
				x.pass(ctx)
			}
			return c.Check(ctx, m, ck)
		})
	}
	return setup(t, opts), &g
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
