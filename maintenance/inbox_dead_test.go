package maintenance_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/paysync/paysync/internal/testwait"
	"github.com/paysync/paysync/maintenance"
	"github.com/paysync/paysync/store"
	"github.com/paysync/paysync/store/sqlite"
)

// TestDrainMovesAsideEntriesTheDatabaseRefuses (issue 22, point 2): runs
// of entries the database refuses (here three in a row naming a merchant
// the database doesn't have, as a database and an inbox restored from
// different moments would hold) no longer stop the drain: they are moved
// aside, counted and listed, and every good entry before and after them is
// recorded. Before, the drain gave up at the second failure in a row and
// started again from the first entry at each tick: the 3 entries after the
// run were acknowledged and never recorded.
func TestDrainMovesAsideEntriesTheDatabaseRefuses(t *testing.T) {
	ctx := context.Background()
	b, err := sqlite.Open(ctx, dbPath(t), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.New(b, store.Options{MasterKey: testKey})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	m, err := db.CreateMerchant(ctx, store.NewMerchant{Name: "acme", PayUnit: &store.PayUnitAccount{
		BaseURL: "http://127.0.0.1:1", APIUser: "u", APIPassword: "p", APIKey: "k", Mode: "test"}})
	if err != nil {
		t.Fatal(err)
	}
	c, _, err := db.RegisterCheckout(ctx, store.NewCheckout{MerchantID: m.ID, Provider: store.ProviderPayUnit,
		Reference: "real", Amount: "10", Currency: "XAF", FirstCheckAt: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	appendEntry := func(merchantID string) {
		t.Helper()
		if err := b.AppendInbox(ctx, store.InboxEntry{ReceivedAt: time.Now(), Notification: store.Notification{
			MerchantID: merchantID, Provider: store.ProviderPayUnit, TransactionID: "real", Status: "SUCCESS",
			Query: uuid.NewString(), // distinct: identical repeats fold into one row
			Body:  []byte(`{"transaction_id":"real"}`), InboxKey: uuid.NewString()}}); err != nil {
			t.Fatal(err)
		}
	}
	appendEntry(m.ID)
	appendEntry(m.ID)
	for i := range 3 {
		appendEntry(fmt.Sprintf("ghost-%d", i)) // refused: no such merchant
	}
	for range 3 {
		appendEntry(m.ID)
	}

	reg := prometheus.NewRegistry()
	d, err := maintenance.NewInboxDrain(db, maintenance.InboxDrainConfig{Metrics: reg})
	if err != nil {
		t.Fatal(err)
	}
	d.Start(ctx)
	defer d.Stop()
	testwait.For(t, "the 5 good callbacks recorded past the 3 refused", func() bool {
		tl, err := db.CheckoutTimeline(ctx, store.OperatorScope(), c.ID)
		if err != nil {
			t.Fatal(err)
		}
		return len(tl.Notifications) == 5
	})
	dead, n, err := db.DeadEntries(ctx, store.OperatorScope(), 10)
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 || len(dead) != 3 || dead[0].MerchantID != "ghost-2" || dead[0].Reason == "" || string(dead[0].Body) != `{"transaction_id":"real"}` {
		t.Fatalf("dead entries = %d %+v, want the 3 refused, newest first, with body and reason", n, dead)
	}
	if got := gathered(t, reg, "paysync_inbox_dead_total", ""); got != 3 {
		t.Fatalf("paysync_inbox_dead_total = %v, want 3", got)
	}
	if mine, n, err := db.DeadEntries(ctx, store.MerchantScope(m.ID), 10); err != nil || n != 0 || len(mine) != 0 {
		t.Fatalf("merchant's dead entries = %d %v, %v; want none (they name other merchants)", n, mine, err)
	}
}
