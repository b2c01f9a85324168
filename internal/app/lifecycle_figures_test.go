package app

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/paysync/paysync/maintenance"
	"github.com/paysync/paysync/poller"
	"github.com/paysync/paysync/provider/plugin"
	"github.com/paysync/paysync/sandbox"
	"github.com/paysync/paysync/store"
	"github.com/paysync/paysync/store/sqlite"
	"github.com/paysync/paysync/store/sqlite/sqlitetest"
)

// TestNeverPaidCheckoutEventsOver72h drives the real poller (default
// schedule, mid-range jitter) on an injected clock over the whole life of
// a checkout nobody pays, a provider answering PENDING to every check
// until it expires, and reports the events it leaves: rows kept (folded)
// and the rows one per poll would have been (the folded counts).
func TestNeverPaidCheckoutEventsOver72h(t *testing.T) {
	ctx := context.Background()
	clock := sandbox.NewClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	db, err := sqlitetest.Open(ctx, filepath.Join(t.TempDir(), "p.db"), store.Options{MasterKey: testKey, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	m, err := db.CreateMerchant(ctx, store.NewMerchant{Name: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	c, _, err := db.RegisterCheckout(ctx, store.NewCheckout{MerchantID: m.ID, Provider: store.ProviderPayUnit,
		Reference: "never-paid", Amount: "2500", Currency: "XAF", FirstCheckAt: clock.Now().Add(60 * time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	checks := 0
	pending := poller.CheckerFunc(func(context.Context, store.Merchant, store.Checkout) plugin.Report {
		checks++
		return plugin.Report{Finding: plugin.Finding{State: plugin.StatePending, ProviderStatus: "PENDING"}}
	})
	p, err := poller.New(db, map[string]poller.Checker{store.ProviderPayUnit: pending},
		poller.Config{Now: clock.Now, Jitter: func() float64 { return 0.5 }, Concurrency: 1, MerchantRate: rate.Inf})
	if err != nil {
		t.Fatal(err)
	}
	for range 100_000 {
		due, ok, err := db.NextDue(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		clock.Set(due)
		if _, err := p.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
	}
	final, err := db.Checkout(ctx, m.ID, c.ID)
	if err != nil || final.State != store.StateExpired {
		t.Fatalf("after the schedule ran out the checkout is %s, %v; want expired", final.State, err)
	}
	events, err := db.Events(ctx, m.ID, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	unfolded := 0
	for _, e := range events {
		unfolded += max(e.Count, 1)
	}
	t.Logf("never-paid checkout over %s: %d status checks; events: %d rows one per poll, %d rows folded",
		final.UpdatedAt.Sub(c.CreatedAt).Round(time.Minute), checks, unfolded, len(events))
	if unfolded < checks || len(events) > 4 {
		t.Fatalf("%d event rows for %d checks (%d unfolded): the status checks didn't fold", len(events), checks, unfolded)
	}
}

// TestSettledCheckoutsSizeBeforeAfterSweep reports the database's size
// for settled checkouts with their history, before and after the sweep
// that purges it: 100,000 with PAYSYNC_LIFECYCLE_FIGURES=1 (the closing
// figure), 5,000 otherwise.
func TestSettledCheckoutsSizeBeforeAfterSweep(t *testing.T) {
	n := 5000
	if os.Getenv("PAYSYNC_LIFECYCLE_FIGURES") == "1" {
		n = 100_000
	}
	ctx := context.Background()
	clock := sandbox.NewClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	path := filepath.Join(t.TempDir(), "s.db")
	b, err := sqlite.Open(ctx, path, sqlite.Options{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.New(b, store.Options{MasterKey: testKey, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	m, err := db.CreateMerchant(ctx, store.NewMerchant{Name: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	if err := sqlitetest.SeedSettledCheckouts(ctx, b, m.ID, "paid", n, clock.Now()); err != nil {
		t.Fatal(err)
	}
	if err := sqlitetest.Checkpoint(ctx, b); err != nil {
		t.Fatal(err)
	}
	clock.Advance(maintenance.DefaultRetention + time.Hour)
	start := time.Now()
	swept, err := db.Sweep(ctx, store.Retention{Settled: maintenance.DefaultRetention, Unmatched: maintenance.DefaultUnmatchedRetention})
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	if err := sqlitetest.Checkpoint(ctx, b); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d settled checkouts: %.1f MiB before the sweep, %.1f MiB after (file %.1f MiB); deleted %d events, %d callbacks, %d attempts in %d transactions, %s",
		n, mib(swept.SizeBefore), mib(swept.SizeAfter), mib(fi.Size()), swept.Events, swept.Notifications, swept.Attempts, swept.Batches, took.Round(time.Millisecond))
	if swept.Checkouts != int64(n) || swept.SizeAfter >= swept.SizeBefore {
		t.Fatalf("swept %+v", swept)
	}
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }
