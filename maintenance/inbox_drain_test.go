package maintenance_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/paysync/paysync/internal/testwait"
	"github.com/paysync/paysync/maintenance"
	"github.com/paysync/paysync/store"
)

// TestInboxLeftByAProcessIsDrainedAtStart: callbacks acknowledged into the
// inbox by a process that died before draining them are processed when
// the drainer starts again (attached, logged, their checkout due and the
// poller woken), and its counter counts them.
func TestInboxLeftByAProcessIsDrainedAtStart(t *testing.T) {
	ctx := context.Background()
	path := dbPath(t)
	db := openStore(t, path, store.Options{})
	m, err := db.CreateMerchant(ctx, store.NewMerchant{Name: "acme", PayUnit: &store.PayUnitAccount{
		BaseURL: "http://127.0.0.1:1", APIUser: "u", APIPassword: "p", APIKey: "k", Mode: "test"}})
	if err != nil {
		t.Fatal(err)
	}
	c, _, err := db.RegisterCheckout(ctx, store.NewCheckout{MerchantID: m.ID, Provider: store.ProviderPayUnit,
		Reference: "left-behind", Amount: "10", Currency: "XAF", FirstCheckAt: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 { // distinct: identical repeats fold into one row
		acc, err := db.AcceptNotification(ctx, store.Notification{MerchantID: m.ID, Provider: store.ProviderPayUnit,
			TransactionID: "left-behind", Status: "SUCCESS", Body: []byte(fmt.Sprintf(`{"transaction_id":"left-behind","n":%d}`, i))})
		if err != nil || !acc.Queued {
			t.Fatalf("accept = %+v, %v", acc, err)
		}
	}
	db.Close() // as a kill would: nothing drained

	db = openStore(t, path, store.Options{})
	var woken atomic.Int32
	reg := prometheus.NewRegistry()
	d, err := maintenance.NewInboxDrain(db, maintenance.InboxDrainConfig{Wake: func() { woken.Add(1) }, Metrics: reg})
	if err != nil {
		t.Fatal(err)
	}
	d.Start(ctx)
	defer d.Stop()
	testwait.For(t, "the 3 callbacks left in the inbox to be processed", func() bool {
		tl, err := db.CheckoutTimeline(ctx, store.OperatorScope(), c.ID)
		if err != nil {
			t.Fatal(err)
		}
		return len(tl.Notifications) == 3
	})
	testwait.For(t, "the poller to be woken", func() bool { return woken.Load() > 0 })
	if got := gathered(t, reg, "paysync_inbox_drained_total", ""); got != 3 {
		t.Fatalf("paysync_inbox_drained_total = %v, want 3", got)
	}
}

// TestInboxDrainsAgainAtStop: what is acknowledged after the last drain
// of the loop (the HTTP server still answering) is processed by the final
// drain at Stop, before the database closes.
func TestInboxDrainsAgainAtStop(t *testing.T) {
	ctx := context.Background()
	db := openStore(t, dbPath(t), store.Options{})
	m, err := db.CreateMerchant(ctx, store.NewMerchant{Name: "acme", PayUnit: &store.PayUnitAccount{
		BaseURL: "http://127.0.0.1:1", APIUser: "u", APIPassword: "p", APIKey: "k", Mode: "test"}})
	if err != nil {
		t.Fatal(err)
	}
	c, _, err := db.RegisterCheckout(ctx, store.NewCheckout{MerchantID: m.ID, Provider: store.ProviderPayUnit,
		Reference: "late", Amount: "10", Currency: "XAF", FirstCheckAt: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	// A long period and no kick: only the drains at start and at Stop run.
	drains := &countedInbox{InboxStore: db, drained: make(chan struct{}, 10)}
	d, err := maintenance.NewInboxDrain(drains, maintenance.InboxDrainConfig{Period: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	d.Start(ctx)
	testwait.Signal(t, "the drain at start", drains.drained)
	if _, err := db.AcceptNotification(ctx, store.Notification{MerchantID: m.ID, Provider: store.ProviderPayUnit,
		TransactionID: "late", Status: "SUCCESS", Body: []byte(`{"transaction_id":"late"}`)}); err != nil {
		t.Fatal(err)
	}
	d.Stop()
	tl, err := db.CheckoutTimeline(ctx, store.OperatorScope(), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(tl.Notifications) != 1 {
		t.Fatalf("%d callbacks processed by Stop, want the 1 acknowledged before it", len(tl.Notifications))
	}
}

// countedInbox signals each drain transaction of the store it wraps.
type countedInbox struct {
	maintenance.InboxStore
	drained chan struct{}
}

func (c *countedInbox) DrainInbox(ctx context.Context, afterID int64, limit int) (store.Drained, error) {
	r, err := c.InboxStore.DrainInbox(ctx, afterID, limit)
	select {
	case c.drained <- struct{}{}:
	default:
	}
	return r, err
}
