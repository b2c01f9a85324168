package sqlite

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/paysync/paysync/store"
)

// A callback whose transaction_id is a registered checkout's provider_ref
// (not its reference) names no checkout: the store's cache of registered
// identities keeps references and provider_refs apart, so the callback is
// recorded at once, within the unmatched bounds, not queued past them.
// (Found by review: one cache for both let it through, unbounded.)
func TestNamedCacheKeepsReferenceAndProviderRefApart(t *testing.T) {
	ctx := context.Background()
	clock := newFakeClock()
	db := openTestDB(t, filepath.Join(t.TempDir(), "paysync.db"), store.Options{MasterKey: testMasterKey, Now: clock.Now,
		Unmatched: store.UnmatchedLimits{Count: 2, PerWindow: 100}})
	m, err := db.CreateMerchant(ctx, store.NewMerchant{Name: "m", PayUnit: &store.PayUnitAccount{
		BaseURL: "https://gateway.payunit.net", APIUser: "u", APIPassword: "p", APIKey: "k", Mode: "test"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.RegisterCheckout(ctx, store.NewCheckout{MerchantID: m.ID, Provider: store.ProviderPayUnit,
		Reference: "R", ProviderRef: "P", Amount: "10", Currency: "XAF", FirstCheckAt: clock.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	refused := 0
	for i := range 10 {
		acc, err := db.AcceptNotification(ctx, store.Notification{MerchantID: m.ID, Provider: store.ProviderPayUnit,
			TransactionID: "P", Status: "SUCCESS", Body: []byte(`{}`)})
		switch {
		case store.ErrorCode(err) == store.ELIMIT:
			refused++
		case err != nil:
			t.Fatalf("accept %d: %v", i, err)
		case acc.Queued:
			t.Fatalf("accept %d queued a callback that names no checkout", i)
		}
	}
	var n int
	if err := db.read.QueryRow(`SELECT count(*) FROM notifications WHERE checkout_id IS NULL`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 2 || refused != 8 {
		t.Fatalf("%d unmatched stored, %d refused; want 2 and 8 (Count 2)", n, refused)
	}
}

// An inbox entry that names no checkout when drained is held to the
// merchant's bounds there too: beyond them it is dropped, not stored.
func TestDrainBoundsEntriesNamingNothing(t *testing.T) {
	ctx := context.Background()
	clock := newFakeClock()
	db := openTestDB(t, filepath.Join(t.TempDir(), "paysync.db"), store.Options{MasterKey: testMasterKey, Now: clock.Now,
		Unmatched: store.UnmatchedLimits{Count: 1, PerWindow: 100}})
	m, err := db.CreateMerchant(ctx, store.NewMerchant{Name: "m"})
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"k1", "k2", "k3"} {
		if err := db.b.AppendInbox(ctx, store.InboxEntry{ReceivedAt: clock.Now(), Notification: store.Notification{
			MerchantID: m.ID, Provider: store.ProviderPayUnit, TransactionID: "nobody", Body: []byte(`{}`), InboxKey: key}}); err != nil {
			t.Fatal(err)
		}
	}
	d, err := db.DrainInbox(ctx, 0, 10)
	if err != nil || d.N != 3 || d.Refused != 2 {
		t.Fatalf("drain = %+v, %v; want 3 taken, 2 refused", d, err)
	}
	var n int
	if err := db.read.QueryRow(`SELECT count(*) FROM notifications WHERE checkout_id IS NULL`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("%d unmatched stored, %v; want 1", n, err)
	}
}
