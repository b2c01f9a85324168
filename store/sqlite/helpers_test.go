package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/paysync/paysync/sandbox"

	"github.com/paysync/paysync/store"
	"github.com/paysync/paysync/store/sqlite/internal/seed"
)

// newFakeClock returns a settable clock for Options.Now, at millisecond
// precision like the times the store keeps.
func newFakeClock() *sandbox.Clock {
	return sandbox.NewClock(time.Date(2025, 3, 14, 9, 26, 53, 589_000_000, time.UTC))
}

// testMasterKey is a fixed 32-byte master key.
var testMasterKey = []byte("0123456789abcdef0123456789abcdef")

// newTestDB opens a fresh file database in t.TempDir() with the test master
// key and the given clock (time.Now when nil), closed at the end of the test.
func newTestDB(t *testing.T, now func() time.Time) *testDB {
	t.Helper()
	return openTestDB(t, filepath.Join(t.TempDir(), "paysync.db"), store.Options{MasterKey: testMasterKey, Now: now})
}

// testDB is the store over a SQLite backend, with the backend's
// connections at hand for tests that look at the rows themselves.
type testDB struct {
	*store.DB
	b     *Backend
	read  *sql.DB
	write *sql.DB
}

// exec runs fn in the backend writer's next transaction.
func (d *testDB) exec(ctx context.Context, fn func(*sql.Tx) error) error { return d.b.exec(ctx, fn) }

// seedWrite is seed.Write on the backend's writer.
func (d *testDB) seedWrite(ctx context.Context) seed.Write {
	return func(fn func(*sql.Tx) error) error { return d.b.exec(ctx, fn) }
}

// openTestDB opens path with opts and closes it at the end of the test.
func openTestDB(t *testing.T, path string, opts store.Options) *testDB {
	t.Helper()
	b, err := Open(context.Background(), path, Options{Now: opts.Now})
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	db, err := store.New(b, opts)
	if err != nil {
		b.Close()
		t.Fatalf("store.New: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return &testDB{DB: db, b: b, read: b.read, write: b.write}
}

// newTestMerchant creates a merchant with PayUnit and Azotte accounts.
func newTestMerchant(t *testing.T, db *testDB) store.CreatedMerchant {
	t.Helper()
	m, err := db.CreateMerchant(context.Background(), store.NewMerchant{
		Name:        "acme",
		WebhookURL:  "https://shop.example/hooks/paysync",
		ReturnHosts: []string{"shop.example"},
		PayUnit: &store.PayUnitAccount{BaseURL: "https://gateway.payunit.net", Mode: "live",
			APIUser: "pu-user", APIPassword: "pu-password-s3cret", APIKey: "live_pu_key_123"},
		Azotte: &store.AzotteAccount{BaseURL: "https://acme.sandbox.azotte.com/api/v1",
			TenantID: "e2a1c7b2-0000-4000-8000-000000000001", APIKey: "sk_dev_azotte_456"},
	})
	if err != nil {
		t.Fatalf("CreateMerchant: %v", err)
	}
	return m
}

// newPayUnitCheckout is a valid PayUnit registration for m, due at first.
func newPayUnitCheckout(m store.CreatedMerchant, reference string, first time.Time) store.NewCheckout {
	return store.NewCheckout{
		MerchantID: m.ID, Provider: store.ProviderPayUnit, Reference: reference,
		Amount: "10", Currency: "XAF",
		SuccessURL: "https://shop.example/ok", CancelURL: "https://shop.example/cancel",
		FirstCheckAt: first,
	}
}

// mustRegister registers in and fails the test unless a checkout is created.
func mustRegister(t *testing.T, db *testDB, in store.NewCheckout) store.Checkout {
	t.Helper()
	c, created, err := db.RegisterCheckout(context.Background(), in)
	if err != nil {
		t.Fatalf("RegisterCheckout(%+v): %v", in, err)
	}
	if !created {
		t.Fatalf("RegisterCheckout(%+v): created = false, want true", in)
	}
	return c
}

// mustEvents returns the checkout's event types, oldest first.
func mustEventTypes(t *testing.T, db *testDB, merchantID, checkoutID string) []string {
	t.Helper()
	evs, err := db.Events(context.Background(), merchantID, checkoutID)
	if err != nil {
		t.Fatalf("Events(%s): %v", checkoutID, err)
	}
	types := make([]string, len(evs))
	for i, e := range evs {
		types[i] = e.Type
	}
	return types
}

// wantCode fails the test unless err carries the store error code.
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if err == nil {
		t.Fatalf("err = nil, want code %q", code)
	}
	if got := store.ErrorCode(err); got != code {
		t.Fatalf("ErrorCode(%v) = %q, want %q", err, got, code)
	}
}

func ptrTime(t time.Time) *time.Time { return &t }
