package poller

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/paysync/paysync/internal/testwait"
	"github.com/paysync/paysync/provider/plugin"
	"github.com/paysync/paysync/sandbox"
	"github.com/paysync/paysync/store"
)

// tenants is setup with two merchants on one PayUnit host, noisy
// (merchants[0]) and quiet (merchants[1]), and the checker check wraps
// PayUnit's.
func tenants(t *testing.T, cfg Config, check func(b *bundle, pc Checker) Checker) *bundle {
	t.Helper()
	return setup(t, options{merchants: 2, cfg: cfg, checker: check})
}

// registerPaid registers a checkout of m due now whose buyer paid.
func (b *bundle) registerPaid(t *testing.T, m store.CreatedMerchant, txn string) store.Checkout {
	t.Helper()
	c, puID := b.registerPayUnit(t, m, txn, sandbox.ScenarioPaysLost, b.clock.Now())
	if err := b.payunit.SetStatus(puID, sandbox.StatusSuccess); err != nil {
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
	var mu sync.Mutex
	var order []string // who was sent to the provider, in order
	ts := tenants(t, Config{Concurrency: 1, BreakerFailures: 5, BreakerCooldown: 30 * time.Second},
		func(b *bundle, pc Checker) Checker {
			return CheckerFunc(func(ctx context.Context, m store.Merchant, c store.Checkout) plugin.Report {
				mu.Lock()
				order = append(order, c.Reference)
				mu.Unlock()
				if m.ID == b.merchants[0].ID { // PayUnit's nginx answers the noisy merchant's checks with a 502 page
					return plugin.Report{Unavailable: true, Finding: plugin.Finding{Failure: "PayUnit answered 502 with an HTML page"}}
				}
				return pc.Check(ctx, m, c)
			})
		})
	noisy, quiet, p := ts.merchants[0], ts.merchants[1], ts.poller
	for i := range 8 {
		ts.registerPaid(t, noisy, fmt.Sprintf("noisy-%d", i))
	}
	ts.clock.Advance(time.Second) // the quiet checkout is due last
	quietC := ts.registerPaid(t, quiet, "quiet")
	due := ts.clock.Now()
	var verdict time.Duration
	for pass := 0; ; pass++ {
		if _, err := p.RunOnce(t.Context()); err != nil {
			t.Fatal(err)
		}
		c := ts.checkout(t, quiet, quietC.ID)
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
	var mu sync.Mutex
	noisyChecks := 0
	quietAt := -1 // how many noisy checks were sent before the quiet one
	checked := make(chan struct{})
	// One check an hour, one at once: every noisy checkout after the first
	// is over budget (the quiet merchant's single check is within its own).
	ts := tenants(t, Config{Concurrency: 2, MerchantRate: 1.0 / 3600, MerchantBurst: 1},
		func(b *bundle, _ Checker) Checker {
			return CheckerFunc(func(ctx context.Context, m store.Merchant, c store.Checkout) plugin.Report {
				mu.Lock()
				defer mu.Unlock()
				if m.ID == b.merchants[0].ID {
					noisyChecks++
				} else if quietAt < 0 {
					quietAt = noisyChecks
					close(checked)
				}
				return plugin.Report{Finding: plugin.Finding{State: plugin.StatePending, ProviderStatus: "PENDING"}}
			})
		})
	noisyM := ts.merchants[0]
	var noisy []store.Checkout
	for i := range 10 {
		noisy = append(noisy, ts.registerPaid(t, noisyM, fmt.Sprintf("noisy-%d", i)))
	}
	ts.clock.Advance(time.Second)
	ts.registerPaid(t, ts.merchants[1], "quiet")
	start := time.Now()
	ts.start(t)
	testwait.Signal(t, "the quiet merchant's check runs (the slots must not wait on the noisy budget)", checked)
	elapsed := time.Since(start)
	ts.poller.Stop()
	mu.Lock()
	defer mu.Unlock()
	t.Logf("quiet merchant's check ran after %d noisy checks, %v after start (real time)", quietAt, elapsed)
	if quietAt != 1 || noisyChecks != 1 {
		t.Errorf("noisy checks before the quiet one %d, in all %d; want 1 and 1 (its burst)", quietAt, noisyChecks)
	}
	deferred := 0
	for _, c := range noisy {
		got := ts.checkout(t, noisyM, c.ID)
		if got.Attempts == 0 && got.NextCheckAt != nil && got.NextCheckAt.After(ts.clock.Now()) {
			deferred++
		}
	}
	if deferred != 9 {
		t.Errorf("%d noisy checkouts deferred without an attempt, want 9", deferred)
	}
}
