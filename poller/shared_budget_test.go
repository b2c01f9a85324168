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
	ctx := t.Context()
	srv := pgtest.Start(t)
	schema := srv.Schema(t)
	clock := sandbox.NewClock(time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC))
	pu := sandbox.NewPayUnit(sandbox.PayUnitConfig{APIKey: "k", APIUser: "u", APIPassword: "p", Mode: "test"})
	hs := httptest.NewServer(pu)
	t.Cleanup(hs.Close)
	var dbs []*store.DB
	for range 2 {
		b, err := postgres.Open(ctx, srv.URL, postgres.Options{Schema: schema})
		if err != nil {
			t.Fatal(err)
		}
		db, err := store.New(b, store.Options{MasterKey: []byte("0123456789abcdef0123456789abcdef"), Now: clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		dbs = append(dbs, db)
	}
	if dbs[0].Budgets() == nil {
		t.Fatal("the PostgreSQL store has no shared budgets")
	}
	m, err := dbs[0].CreateMerchant(ctx, store.NewMerchant{Name: "busy",
		PayUnit: &store.PayUnitAccount{BaseURL: hs.URL, APIUser: "u", APIPassword: "p", APIKey: "k", Mode: "test"}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 40 {
		txn := fmt.Sprintf("busy-%d", i)
		puID := pu.Create(sandbox.Payment{TransactionID: txn, Amount: "10", Currency: "XAF", Scenario: sandbox.ScenarioPaysLost})
		if err := pu.SetStatus(puID, sandbox.StatusSuccess); err != nil {
			t.Fatal(err)
		}
		if _, _, err := dbs[0].RegisterCheckout(ctx, store.NewCheckout{MerchantID: m.ID, Provider: store.ProviderPayUnit,
			Reference: txn, Amount: "10", Currency: "XAF", FirstCheckAt: clock.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	var pollers []*Poller
	for _, db := range dbs {
		p, err := New(db, map[string]Checker{store.ProviderPayUnit: checkerOf(t, store.ProviderPayUnit, hs.Client())},
			Config{Now: clock.Now, Concurrency: 4, MerchantRate: 2, MerchantBurst: 2, Budget: budget(db),
				Jitter: func() float64 { return 0 }})
		if err != nil {
			t.Fatal(err)
		}
		pollers = append(pollers, p)
	}
	var calls []int
	for range windows {
		before := pu.TotalChecks()
		var wg sync.WaitGroup
		for _, p := range pollers {
			wg.Go(func() {
				if _, err := p.RunOnce(context.WithoutCancel(ctx)); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		calls = append(calls, pu.TotalChecks()-before)
		clock.Advance(time.Second)
	}
	return calls
}
