package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"github.com/paysync/paysync/store"
)

// inboxRows returns what the inbox file holds.
func inboxRows(t *testing.T, db *testDB) []store.InboxEntry {
	t.Helper()
	var out []store.InboxEntry
	if err := db.b.Write(context.Background(), func(tx store.Tx) (err error) {
		out, err = tx.TakeInbox(context.Background(), 0, 1000)
		return errRollback // a look only: the entries are given back
	}); !errors.Is(err, errRollback) {
		t.Fatal(err)
	}
	return out
}

// errRollback makes a write roll back.
var errRollback = errors.New("look only")

// An entry recorded in the database but left in the inbox file (a crash
// between the drain's commit and the delete) is taken again and skipped
// by its key: one notification, one event, whatever the hand-overs.
func TestInboxEntryHandedOverAgainIsRecordedOnce(t *testing.T) {
	ctx := context.Background()
	clock := newFakeClock()
	db := newTestDB(t, clock.Now)
	m, err := db.CreateMerchant(ctx, store.NewMerchant{Name: "m", PayUnit: &store.PayUnitAccount{
		BaseURL: "https://gateway.payunit.net", APIUser: "u", APIPassword: "p", APIKey: "k", Mode: "test"}})
	if err != nil {
		t.Fatal(err)
	}
	c, _, err := db.RegisterCheckout(ctx, store.NewCheckout{MerchantID: m.ID, Provider: store.ProviderPayUnit,
		Reference: "twice", Amount: "10", Currency: "XAF", FirstCheckAt: clock.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if acc, err := db.AcceptNotification(ctx, store.Notification{MerchantID: m.ID, Provider: store.ProviderPayUnit,
		TransactionID: "twice", Status: "SUCCESS", Body: []byte(`{}`)}); err != nil || !acc.Queued {
		t.Fatalf("accept = %+v, %v", acc, err)
	}
	left := inboxRows(t, db)
	if len(left) != 1 || left[0].InboxKey == "" {
		t.Fatalf("inbox holds %+v; want one entry with a key", left)
	}
	if d, err := db.DrainInbox(ctx, 0, 10); err != nil || d.N != 1 {
		t.Fatalf("drain = %+v, %v", d, err)
	}
	waitInboxEmpty(t, db)
	// As if the delete had never committed: the entry is back, same key.
	e := left[0]
	if err := db.b.inbox.w.submit(ctx, writeReq{done: make(chan error, 1), fn: func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO inbox (id, key, merchant_id, provider, transaction_id, provider_checkout_id, status,
			content_type, query, body, received_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)`, e.ID, e.InboxKey, e.MerchantID, e.Provider,
			e.TransactionID, e.ProviderCheckoutID, e.Status, e.ContentType, e.Query, e.Body, ms(e.ReceivedAt))
		return err
	}}); err != nil {
		t.Fatal(err)
	}
	if d, err := db.DrainInbox(ctx, 0, 10); err != nil || d.N != 1 {
		t.Fatalf("second hand-over = %+v, %v; want the entry taken (and skipped)", d, err)
	}
	waitInboxEmpty(t, db)
	tl, err := db.CheckoutTimeline(ctx, store.OperatorScope(), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	callbacks := 0
	for _, ev := range tl.Events {
		if ev.Type == store.EventCallbackReceived {
			callbacks++
		}
	}
	if len(tl.Notifications) != 1 || callbacks != 1 {
		t.Fatalf("after two hand-overs: %d notifications, %d callback events; want 1 and 1", len(tl.Notifications), callbacks)
	}
}

// waitInboxEmpty waits until the inbox file's deletes committed.
func waitInboxEmpty(t *testing.T, db *testDB) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		var n int
		if err := db.b.inbox.read.QueryRow(`SELECT count(*) FROM inbox`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d entries still in the inbox file", n)
		}
		time.Sleep(time.Millisecond) // polling a condition with a deadline
	}
}
