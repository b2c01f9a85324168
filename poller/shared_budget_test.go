package poller

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/paysync/paysync/sandbox"
	"github.com/paysync/paysync/store"
	"github.com/paysync/paysync/store/postgres"
	"github.com/paysync/paysync/store/postgres/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// TestSharedBudgetAcrossInstances: two pollers over two stores on one
// PostgreSQL schema, as two paysync instances, check one merchant's
// backlog; with SharedBudget they stay together within its rate (counted
// per second of the injected clock on the sandbox's status endpoint).
// With the in-memory budget each instance spends its own burst and rate.
func TestSharedBudgetAcrossInstances(t *testing.T) {
	const rate, burst, windows = 2, 2, 8
	shared := func(db *store.DB) Budget { return SharedBudget(db.Budgets(), rate, burst) }
	calls := runTwoInstances(t, windows, shared)
	total := 0
	for i, n := range calls {
		total += n
		if limit := rate + map[bool]int{true: burst}[i == 0]; n > limit {
			t.Errorf("second %d: %d provider calls from two instances, over the merchant's %d", i, n, limit)
		}
	}
	if total > burst+rate*(windows-1) || total < rate*(windows-1) {
		t.Errorf("%d provider calls in %d s, want about %d a second", total, windows, rate)
	}
	t.Logf("shared budget (rate %d/s, burst %d): provider calls per second of two instances %v", rate, burst, calls)
	memory := runTwoInstances(t, windows, func(*store.DB) Budget { return nil })
	t.Logf("in-memory budgets for comparison: %v", memory)
}

// runTwoInstances registers 40 paid checkouts of one merchant, then runs
// two pollers (budget(db) each; nil is the default) side by side, one
// pass each per second of the injected clock, and returns how many status
// calls reached the sandbox in each second.
func runTwoInstances(t *testing.T, windows int, budget func(*store.DB) Budget) []int {
	t.Helper()
	w := setUpTwoInstances(t, 40, 4, budget)
	var calls []int
	for range windows {
		calls = append(calls, w.pass(t, time.Second))
	}
	return calls
}

// twoInstances are two pollers on one PostgreSQL schema, as two paysync
// instances, over one merchant's paid checkouts, on an injected clock.
type twoInstances struct {
	clock      *sandbox.Clock
	pu         *sandbox.PayUnit
	dbs        []*store.DB
	pollers    []*Poller
	merchantID string
	ids        []string
}

// pass runs one pass of each poller side by side, advances the clock by
// step, and returns how many status calls reached the sandbox.
func (w *twoInstances) pass(t *testing.T, step time.Duration) int {
	t.Helper()
	before := w.pu.TotalChecks()
	var wg sync.WaitGroup
	for _, p := range w.pollers {
		wg.Go(func() {
			if _, err := p.RunOnce(context.WithoutCancel(t.Context())); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	w.clock.Advance(step)
	return w.pu.TotalChecks() - before
}

// setUpTwoInstances registers n paid checkouts of one merchant, all due
// now, and builds two pollers of concurrency each (budget(db) each; nil
// is the default) at 2 checks a second, burst 2.
func setUpTwoInstances(t *testing.T, n, concurrency int, budget func(*store.DB) Budget) *twoInstances {
	t.Helper()
	ctx := t.Context()
	srv := pgtest.Start(t)
	schema := srv.Schema(t)
	w := &twoInstances{clock: sandbox.NewClock(time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)),
		pu: sandbox.NewPayUnit(sandbox.PayUnitConfig{APIKey: "k", APIUser: "u", APIPassword: "p", Mode: "test"})}
	hs := httptest.NewServer(w.pu)
	t.Cleanup(hs.Close)
	for range 2 {
		b, err := postgres.Open(ctx, srv.URL, postgres.Options{Schema: schema})
		if err != nil {
			t.Fatal(err)
		}
		db, err := store.New(b, store.Options{MasterKey: []byte("0123456789abcdef0123456789abcdef"), Now: w.clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		w.dbs = append(w.dbs, db)
	}
	if w.dbs[0].Budgets() == nil {
		t.Fatal("the PostgreSQL store has no shared budgets")
	}
	m, err := w.dbs[0].CreateMerchant(ctx, store.NewMerchant{Name: "busy",
		PayUnit: &store.PayUnitAccount{BaseURL: hs.URL, APIUser: "u", APIPassword: "p", APIKey: "k", Mode: "test"}})
	if err != nil {
		t.Fatal(err)
	}
	w.merchantID = m.ID
	for i := range n {
		txn := fmt.Sprintf("busy-%d", i)
		puID := w.pu.Create(sandbox.Payment{TransactionID: txn, Amount: "10", Currency: "XAF", Scenario: sandbox.ScenarioPaysLost})
		if err := w.pu.SetStatus(puID, sandbox.StatusSuccess); err != nil {
			t.Fatal(err)
		}
		c, _, err := w.dbs[0].RegisterCheckout(ctx, store.NewCheckout{MerchantID: m.ID, Provider: store.ProviderPayUnit,
			Reference: txn, Amount: "10", Currency: "XAF", FirstCheckAt: w.clock.Now()})
		if err != nil {
			t.Fatal(err)
		}
		w.ids = append(w.ids, c.ID)
	}
	for _, db := range w.dbs {
		p, err := New(db, map[string]Checker{store.ProviderPayUnit: checkerOf(t, store.ProviderPayUnit, hs.Client())},
			Config{Now: w.clock.Now, Concurrency: concurrency, MerchantRate: 2, MerchantBurst: 2, Budget: budget(db),
				Jitter: func() float64 { return 0 }})
		if err != nil {
			t.Fatal(err)
		}
		w.pollers = append(w.pollers, p)
	}
	return w
}

// TestOverBudgetWaitsForItsToken: with the shared budget, two instances
// claim batches of 16 of one merchant's 30 due checkouts at 2 checks a
// second; the budget of a batch is taken at once, and each checkout left
// without a check is deferred to the moment its own token will exist, so
// that it is claimed about once more, not every minimum interval until it
// wins a token (issue 21: 4-9 claims for each check sent). The two stay
// within the rate together, and every checkout is checked in the time the
// rate allows.
func TestOverBudgetWaitsForItsToken(t *testing.T) {
	claims, took := overBudgetClaims(t, func(db *store.DB) Budget { return SharedBudget(db.Budgets(), 2, 2) })
	if claims > 2*30+30/5 {
		t.Errorf("%d claims for 30 checks: an over-budget checkout came back before its token", claims)
	}
	oneByOne, tookOne := overBudgetClaims(t, func(db *store.DB) Budget { return oneAtATime{SharedBudget(db.Budgets(), 2, 2)} })
	t.Logf("batch budget: %d claims for 30 checks in %v; one take per check (each refused one also handed its own slot) for comparison: %d claims in %v",
		claims, took, oneByOne, tookOne)
}

// oneAtATime hides a Budget's batch take: each check takes its own.
type oneAtATime struct{ Budget }

// overBudgetClaims runs TestOverBudgetWaitsForItsToken's two instances
// with budget until every checkout was checked, checks that they stayed
// within the rate together, and returns the claims made and the time taken.
func overBudgetClaims(t *testing.T, budget func(*store.DB) Budget) (int, time.Duration) {
	t.Helper()
	const n, step = 30, 250 * time.Millisecond
	w := setUpTwoInstances(t, n, 16, budget)
	var calls []int
	for len(calls) < 400 && w.pu.TotalChecks() < n {
		calls = append(calls, w.pass(t, step))
	}
	if got := w.pu.TotalChecks(); got != n {
		t.Fatalf("%d checkouts checked after %v, want all %d", got, time.Duration(len(calls))*step, n)
	}
	perSecond := 4
	for i := 0; i+perSecond <= len(calls); i++ { // every window of one second
		sum := 0
		for _, c := range calls[i : i+perSecond] {
			sum += c
		}
		if limit := 2 + map[bool]int{true: 2}[i == 0]; sum > limit {
			t.Errorf("second from pass %d: %d provider calls from two instances, over the merchant's %d", i, sum, limit)
		}
	}
	claims := 0
	for _, id := range w.ids {
		c, err := w.dbs[0].Checkout(t.Context(), w.merchantID, id)
		if err != nil {
			t.Fatal(err)
		}
		claims += int(c.ClaimSeq)
	}
	return claims, time.Duration(len(calls)) * step
}
