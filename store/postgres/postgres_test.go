package postgres

import (
	"context"
	"math"
	"os"
	"testing"
	"time"

	"github.com/paysync/paysync/store"
	"github.com/paysync/paysync/store/postgres/pgtest"
	"github.com/paysync/paysync/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// openTest opens a backend on a fresh schema of the test server.
func openTest(t *testing.T) *Backend {
	t.Helper()
	srv := pgtest.Start(t)
	b, err := Open(context.Background(), srv.URL, Options{Schema: srv.Schema(t)})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return b
}

// testMasterKey seals merchant secrets in the tests that open a store.DB.
var testMasterKey = []byte("0123456789abcdef0123456789abcdef")

// openTestStore opens the store over a fresh backend, with one merchant
// whose webhook URL is set; the store closes when the test ends.
func openTestStore(t *testing.T) (*Backend, *store.DB, store.CreatedMerchant) {
	t.Helper()
	b := openTest(t)
	db, err := store.New(b, store.Options{MasterKey: testMasterKey})
	if err != nil {
		b.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	m, err := db.CreateMerchant(context.Background(), store.NewMerchant{Name: "acme", WebhookURL: "https://shop.example/hooks"})
	if err != nil {
		t.Fatal(err)
	}
	return b, db, m
}

// TestConformance runs the backend-neutral suite on a fresh schema per test.
func TestConformance(t *testing.T) {
	storetest.Run(t, storetest.Harness{Open: func(t *testing.T) store.Backend { return openTest(t) }})
}

// TestCommitsAreSynchronous: whatever the server's default, paysync's
// sessions wait for the WAL flush before a commit returns.
func TestCommitsAreSynchronous(t *testing.T) {
	b := openTest(t)
	defer b.Close()
	var v string
	if err := b.pool.QueryRow(context.Background(), `SHOW synchronous_commit`).Scan(&v); err != nil {
		t.Fatal(err)
	}
	if v != "on" {
		t.Fatalf("synchronous_commit = %q, want on", v)
	}
}

// TestUnlimitedBudgetTakesNoRow: an unlimited rate (golang.org/x/time/rate's
// Inf is MaxFloat64) never touches the budgets table, which would make
// every check of a merchant queue on one row.
func TestUnlimitedBudgetTakesNoRow(t *testing.T) {
	b := openTest(t)
	defer b.Close()
	ctx := context.Background()
	for _, r := range []float64{math.MaxFloat64, math.Inf(1)} {
		if wait, err := b.TakeToken(ctx, "k", r, 1, time.Now()); err != nil || wait != 0 {
			t.Fatalf("TakeToken(rate %v) = %v, %v", r, wait, err)
		}
	}
	var n int
	if err := b.pool.QueryRow(ctx, `SELECT count(*) FROM budgets`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("budgets rows = %d, %v; want none", n, err)
	}
}
