package sqlite

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/paysync/paysync/store"
)

func TestOpenSetsPragmasOnWriteConnection(t *testing.T) {
	db := newTestDB(t, newFakeClock().Now)
	ctx := context.Background()
	var journal string
	if err := db.write.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&journal); err != nil {
		t.Fatal(err)
	}
	if journal != "wal" {
		t.Errorf("journal_mode = %q, want wal", journal)
	}
	for _, p := range []struct {
		pragma string
		want   int
	}{
		{"synchronous", 2}, // FULL
		{"foreign_keys", 1},
		{"busy_timeout", 5000},
	} {
		var got int
		if err := db.write.QueryRowContext(ctx, `PRAGMA `+p.pragma).Scan(&got); err != nil {
			t.Fatalf("PRAGMA %s: %v", p.pragma, err)
		}
		if got != p.want {
			t.Errorf("PRAGMA %s = %d, want %d", p.pragma, got, p.want)
		}
	}
	if n := db.write.Stats().MaxOpenConnections; n != 1 {
		t.Errorf("write pool MaxOpenConnections = %d, want 1", n)
	}
}

func TestForeignKeysEnforced(t *testing.T) {
	db := newTestDB(t, newFakeClock().Now)
	err := db.exec(context.Background(), func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO events (checkout_id, at, source, type) VALUES ('chk_missing', 0, 'x', 'y')`)
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "FOREIGN KEY") {
		t.Fatalf("insert event for a missing checkout: err = %v, want a FOREIGN KEY error", err)
	}
}

func TestReadPoolIsReadOnly(t *testing.T) {
	db := newTestDB(t, newFakeClock().Now)
	newTestMerchant(t, db)
	_, err := db.read.ExecContext(context.Background(), `DELETE FROM merchants`)
	if err == nil {
		t.Fatal("DELETE through the read pool succeeded, want an error")
	}
	if ok, err := db.HasMerchants(context.Background()); err != nil || !ok {
		t.Fatalf("HasMerchants = %v, %v; want true, nil", ok, err)
	}
}

func TestReopenKeepsDataAndSkipsMigrations(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "paysync.db")
	first := newFakeClock()
	db := openTestDB(t, path, store.Options{MasterKey: testMasterKey, Now: first.Now})
	m := newTestMerchant(t, db)
	c := mustRegister(t, db, newPayUnitCheckout(m, "ref-1", first.Now()))
	names, err := migrationNames()
	want := len(names)
	if err != nil || want == 0 {
		t.Fatalf("migrations = %d, %v", want, err)
	}
	if err := db.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	second := newFakeClock()
	second.Advance(24 * time.Hour)
	db2 := openTestDB(t, path, store.Options{MasterKey: testMasterKey, Now: second.Now})
	if err := db2.Ping(ctx); err != nil {
		t.Fatalf("Ping after reopen: %v", err)
	}
	var n int
	var applied int64
	if err := db2.read.QueryRowContext(ctx, `SELECT count(*), max(applied_at) FROM schema_migrations`).Scan(&n, &applied); err != nil {
		t.Fatal(err)
	}
	if n != want {
		t.Errorf("schema_migrations has %d rows, want %d", n, want)
	}
	if got := fromMS(applied); !got.Equal(first.Now()) {
		t.Errorf("migrations applied at %v, want %v (the first open): re-run on reopen?", got, first.Now())
	}
	got, err := db2.Checkout(ctx, m.ID, c.ID)
	if err != nil {
		t.Fatalf("Checkout after reopen: %v", err)
	}
	if got.Reference != "ref-1" || got.Amount != "10" || got.Version != 1 {
		t.Errorf("checkout after reopen = %+v", got)
	}
	if _, err := db2.MerchantByAPIKey(ctx, m.APIKey); err != nil {
		t.Errorf("MerchantByAPIKey after reopen: %v", err)
	}
}

func TestPing(t *testing.T) {
	db := newTestDB(t, nil)
	if err := db.Ping(context.Background()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	// A missing migration row is reported.
	if err := db.exec(context.Background(), func(tx *sql.Tx) error {
		_, err := tx.Exec(`DELETE FROM schema_migrations`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := db.Ping(context.Background()); err == nil {
		t.Fatal("Ping with no migration recorded = nil, want an error")
	}
}

func TestOpenRejectsBadInput(t *testing.T) {
	ctx := context.Background()
	if _, err := Open(ctx, "", Options{}); err == nil {
		t.Error("Open(\"\") = nil error")
	}
	b, err := Open(ctx, filepath.Join(t.TempDir(), "x.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, err := store.New(b, store.Options{MasterKey: []byte("short")}); err == nil {
		t.Error("store.New over SQLite with a 5-byte master key = nil error")
	}
}

func TestNowIsUTCFromInjectedClock(t *testing.T) {
	clock := newFakeClock()
	db := newTestDB(t, func() time.Time { return clock.Now().In(time.FixedZone("WAT", 3600)) })
	if got := db.Now(); got.Location() != time.UTC || !got.Equal(clock.Now()) {
		t.Fatalf("Now() = %v, want %v in UTC", got, clock.Now())
	}
}

func TestOpenPathWithURISpecialCharacters(t *testing.T) {
	for _, name := range []string{"a b.db", "a#b.db", "a?b.db", "a%20b.db"} {
		path := filepath.Join(t.TempDir(), name)
		db := openTestDB(t, path, store.Options{MasterKey: testMasterKey})
		newTestMerchant(t, db)
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(path); err != nil {
			t.Errorf("Open(%q) did not create that file: %v", name, err)
		}
	}
}
