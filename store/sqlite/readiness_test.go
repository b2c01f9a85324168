package sqlite

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/paysync/paysync/store"
)

// TestPingCoversTheInboxAndTheDrain (issue 22, point 3): an inbox table
// of the wrong schema fails Ping (the probe write appends to it), and so
// does a drain that fails before taking anything, until one succeeds.
// Before, Ping wrote the probe row only: ready while every callback naming
// a registered checkout got 500.
func TestPingCoversTheInboxAndTheDrain(t *testing.T) {
	ctx := context.Background()
	clock := newFakeClock()
	db := newTestDB(t, clock.Now)
	m := newTestMerchant(t, db)
	mustRegister(t, db, newPayUnitCheckout(m, "tx-1", clock.Now().Add(time.Hour)))
	if err := db.Ping(ctx); err != nil {
		t.Fatalf("Ping of a sound database: %v", err)
	}
	rename := func(from, to string) {
		t.Helper()
		if err := db.exec(ctx, func(t *sql.Tx) error {
			_, err := t.Exec(`ALTER TABLE ` + from + ` RENAME TO ` + to)
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	rename("inbox", "inbox_elsewhere")
	if _, err := db.AcceptNotification(ctx, store.Notification{MerchantID: m.ID, Provider: store.ProviderPayUnit,
		TransactionID: "tx-1", Body: []byte(`{}`)}); err == nil {
		t.Fatal("a callback was accepted into a missing inbox")
	}
	clock.Advance(2 * time.Second) // past the reuse of the last probe
	if err := db.Ping(ctx); err == nil {
		t.Fatal("Ping is nil while the inbox can't be appended to")
	}
	if _, err := db.DrainInbox(ctx, 0, 10); err == nil {
		t.Fatal("a drain of a missing inbox succeeded")
	}
	rename("inbox_elsewhere", "inbox")
	if err := db.Ping(ctx); err == nil {
		t.Fatal("Ping is nil after a failed drain, none succeeding since")
	}
	if _, err := db.DrainInbox(ctx, 0, 10); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AcceptNotification(ctx, store.Notification{MerchantID: m.ID, Provider: store.ProviderPayUnit,
		TransactionID: "tx-1", Body: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	if err := db.Ping(ctx); err != nil {
		t.Fatalf("Ping after the inbox is back: %v", err)
	}
	clock.Advance(2 * time.Second)
	if err := db.Ping(ctx); err != nil {
		t.Fatalf("Ping's probe of the inbox after it is back: %v", err)
	}
	if d, err := db.DrainInbox(ctx, 0, 10); err != nil || d.N != 1 {
		t.Fatalf("drain = %+v, %v; want the one callback, the probe's entries gone", d, err)
	}
}
