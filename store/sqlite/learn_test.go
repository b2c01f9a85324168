package sqlite

import (
	"context"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paysync/paysync/store"
)

// countingBackend counts the reads and statements a learning Apply costs:
// the checkout read before the transaction (CheckoutByID) and the
// adoption's search for callbacks stored unmatched
// (UnmatchedNotifications).
type countingBackend struct {
	*Backend
	reads, searches *atomic.Int64
}

func (c countingBackend) CheckoutByID(ctx context.Context, id string) (store.Checkout, error) {
	c.reads.Add(1)
	return c.Backend.CheckoutByID(ctx, id)
}

func (c countingBackend) Write(ctx context.Context, fn func(store.Tx) error) error {
	return c.Backend.Write(ctx, func(t store.Tx) error { return fn(countingTx{t.(*tx), c.searches}) })
}

type countingTx struct {
	*tx
	searches *atomic.Int64
}

func (c countingTx) UnmatchedNotifications(ctx context.Context, merchantID, provider, reference, providerRef string) ([]store.EarlyNotification, error) {
	c.searches.Add(1)
	return c.tx.UnmatchedNotifications(ctx, merchantID, provider, reference, providerRef)
}

func newCountingDB(t *testing.T, now func() time.Time) (*testDB, countingBackend) {
	t.Helper()
	b, err := Open(context.Background(), filepath.Join(t.TempDir(), "paysync.db"), Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	cb := countingBackend{Backend: b, reads: new(atomic.Int64), searches: new(atomic.Int64)}
	db, err := store.New(cb, store.Options{MasterKey: testMasterKey, Now: now})
	if err != nil {
		b.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &testDB{DB: db, b: b, read: b.read, write: b.write}, cb
}

// claimed is the observation's Claimed as the poller carries it.
func claimed(c store.Checkout) store.ClaimedAs {
	return store.ClaimedAs{MerchantID: c.MerchantID, Provider: c.Provider, ProviderRef: c.ProviderRef}
}

// A first check that learns the provider's checkout id, from a claim the
// poller carries, reads nothing before its transaction and, with no
// callback waiting under that id, doesn't search for any to adopt; one
// waiting under it is still adopted.
func TestLearningApplyReadsOnlyWhatItMust(t *testing.T) {
	clock := newFakeClock()
	db, counts := newCountingDB(t, clock.Now)
	ctx := context.Background()
	m := newTestMerchant(t, db)

	c := claimOne(t, db, m, "first")
	obs := successFor(c)
	obs.ProviderRef, obs.Claimed = "pu_first", claimed(c)
	counts.reads.Store(0)
	counts.searches.Store(0) // registrations search for callbacks to adopt: not counted here
	got, err := db.Apply(ctx, obs)
	if err != nil || got.ProviderRef != "pu_first" || got.State != store.StateSucceeded {
		t.Fatalf("Apply = %+v, %v", got, err)
	}
	if n, s := counts.reads.Load(), counts.searches.Load(); n != 0 || s != 0 {
		t.Errorf("learning apply: %d checkout reads before the transaction, %d searches for unmatched callbacks; want none", n, s)
	}

	// A callback naming only the provider's id, before the checkout knew it.
	if rec, err := db.RecordNotification(ctx, store.Notification{MerchantID: m.ID, Provider: store.ProviderPayUnit,
		ProviderCheckoutID: "pu_second", Status: "SUCCESS", ContentType: "application/json", Body: []byte(`{}`)}); err != nil || rec.CheckoutID != "" {
		t.Fatalf("RecordNotification = %+v, %v; want kept unmatched", rec, err)
	}
	d := claimOne(t, db, m, "second")
	obs = successFor(d)
	obs.ProviderRef, obs.Claimed = "pu_second", claimed(d)
	obs.State, obs.ProviderStatus = "", "PENDING" // still pending: the adoption makes it due at once
	counts.searches.Store(0)
	if _, err := db.Apply(ctx, obs); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if s := counts.searches.Load(); s != 1 {
		t.Errorf("%d searches for unmatched callbacks with one waiting, want 1", s)
	}
	if types := strings.Join(mustEventTypes(t, db, m.ID, d.ID), ","); !strings.Contains(types, "callback_received") {
		t.Errorf("events %s: the callback waiting under the learned id wasn't adopted", types)
	}

	// Without the claim carried (a caller without the claimed row), Apply reads it.
	e := claimOne(t, db, m, "third")
	obs = successFor(e)
	obs.ProviderRef = "pu_third"
	counts.reads.Store(0)
	if _, err := db.Apply(ctx, obs); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if n := counts.reads.Load(); n != 1 {
		t.Errorf("%d checkout reads before an uncarried learning apply, want 1", n)
	}
}

// dropHandoff takes handed deliveries and drops them (they come back
// with their lease).
type dropHandoff struct{}

func (dropHandoff) HandOff([]store.Delivery)    {}
func (dropHandoff) HandOffLease() time.Duration { return time.Minute }

// With the dispatcher wired to the store (the app's hand-off, which wraps
// every write's Tx), a learning Apply still asks the backend's one-statement
// probe and doesn't search for callbacks to adopt when none waits.
func TestLearningApplyUnderTheHandoff(t *testing.T) {
	clock := newFakeClock()
	db, counts := newCountingDB(t, clock.Now)
	db.HandDeliveriesTo(dropHandoff{})
	m := newTestMerchant(t, db)
	c := claimOne(t, db, m, "first")
	obs := successFor(c)
	obs.ProviderRef, obs.Claimed = "pu_first", claimed(c)
	counts.searches.Store(0)
	if _, err := db.Apply(context.Background(), obs); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if s := counts.searches.Load(); s != 0 {
		t.Errorf("%d searches for unmatched callbacks under the hand-off, want none", s)
	}
}
