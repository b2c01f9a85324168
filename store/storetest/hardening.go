package storetest

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/paysync/paysync/store"
)

// testUnmatchedBounds: callbacks that match no checkout are bounded per
// merchant by rate, count and bytes (ELIMIT with a Retry-After); a
// callback for a registered checkout and another merchant's callbacks
// are accepted all the same.
func testUnmatchedBounds(t *testing.T, r *rig) {
	ctx := context.Background()
	db, err := store.New(r.backend, store.Options{MasterKey: masterKey, Now: r.clock.Now,
		Unmatched: store.UnmatchedLimits{Count: 5, Bytes: 1000, PerWindow: 3, Window: time.Minute}})
	if err != nil {
		t.Fatal(err)
	}
	other := r.newMerchant("other")
	send := func(merchantID, ref string, size int) error {
		_, err := db.RecordNotification(ctx, store.Notification{MerchantID: merchantID, Provider: store.ProviderPayUnit,
			TransactionID: ref, Status: "SUCCESS", Body: bytes.Repeat([]byte("x"), size)})
		return err
	}
	refused := func(err error, what string, wantWait time.Duration) {
		t.Helper()
		wait, ok := store.RetryAfter(err)
		if store.ErrorCode(err) != store.ELIMIT || !ok || wait != wantWait {
			t.Errorf("%s: err = %v (retry after %v), want ELIMIT after %v", what, err, wait, wantWait)
		}
	}
	for i := range 3 {
		if err := send(r.merchant.ID, fmt.Sprintf("ghost-%d", i), 100); err != nil {
			t.Fatalf("unmatched callback %d: %v", i, err)
		}
		r.clock.Advance(time.Second)
	}
	refused(send(r.merchant.ID, "ghost-3", 100), "4th unmatched callback within a minute", 57*time.Second)
	if err := send(other.ID, "ghost-0", 100); err != nil {
		t.Errorf("another merchant's unmatched callback: %v", err)
	}
	c := r.register("real-1", r.clock.Now().Add(time.Hour))
	if rec, err := db.RecordNotification(ctx, store.Notification{MerchantID: r.merchant.ID, Provider: store.ProviderPayUnit,
		TransactionID: "real-1", Status: "SUCCESS", Body: []byte("{}")}); err != nil || rec.CheckoutID != c.ID {
		t.Errorf("callback of a registered checkout at the bound: %+v, %v", rec, err)
	}
	r.clock.Advance(time.Minute)
	if err := send(r.merchant.ID, "ghost-3", 100); err != nil {
		t.Fatalf("unmatched callback after the window: %v", err)
	}
	refused(send(r.merchant.ID, "big", 601), "unmatched callback over the bytes bound", 10*time.Minute)
	if err := send(r.merchant.ID, "ghost-4", 100); err != nil {
		t.Fatalf("5th unmatched callback: %v", err)
	}
	refused(send(r.merchant.ID, "ghost-5", 1), "6th unmatched callback held", 10*time.Minute)
}

// testReadinessAndMasterKey: Ping commits a probe write; CheckMasterKey
// accepts the key the secrets were sealed with and refuses another key
// and no key.
func testReadinessAndMasterKey(t *testing.T, r *rig) {
	ctx := context.Background()
	if err := r.db.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	if err := r.db.CheckMasterKey(ctx); err != nil {
		t.Errorf("CheckMasterKey with the sealing key: %v", err)
	}
	for name, key := range map[string][]byte{"wrong key": bytes.Repeat([]byte{9}, 32), "no key": nil} {
		db, err := store.New(r.backend, store.Options{MasterKey: key, Now: r.clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.CheckMasterKey(ctx); store.ErrorCode(err) != store.ECONFIG {
			t.Errorf("CheckMasterKey with %s: %v, want ECONFIG", name, err)
		}
	}
}

// testUnmatchedTotalsFollow: the totals the bound reads follow every way
// a callback stops being unmatched or goes: stored unmatched, adopted by
// a registration, deleted by the lifecycle; other merchants' are apart.
func testUnmatchedTotalsFollow(t *testing.T, r *rig) {
	ctx := context.Background()
	totals := func(merchantID string) (int, int64) {
		t.Helper()
		var n int
		var bytes int64
		if err := r.backend.Write(ctx, func(tx store.Tx) (err error) {
			n, bytes, err = tx.UnmatchedTotals(ctx, merchantID)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return n, bytes
	}
	other := r.newMerchant("other")
	for _, ref := range []string{"early-1", "early-2", "early-3"} {
		if _, err := r.db.RecordNotification(ctx, r.payunitCallback(ref)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := r.db.RecordNotification(ctx, store.Notification{MerchantID: other.ID, Provider: store.ProviderPayUnit,
		TransactionID: "theirs", Body: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	size := int64(len(r.payunitCallback("early-1").Body))
	if n, b := totals(r.merchant.ID); n != 3 || b != 3*size {
		t.Fatalf("after 3 unmatched callbacks: %d, %d bytes; want 3, %d", n, b, 3*size)
	}
	if n, _ := totals(other.ID); n != 1 {
		t.Fatalf("the other merchant's totals: %d; want its 1", n)
	}
	r.register("early-2", r.clock.Now().Add(time.Hour)) // adopts its callback
	if n, b := totals(r.merchant.ID); n != 2 || b != 2*size {
		t.Fatalf("after an adoption: %d, %d bytes; want 2, %d", n, b, 2*size)
	}
	r.clock.Advance(2 * time.Hour)
	if _, err := r.db.Sweep(ctx, store.Retention{Unmatched: time.Hour}); err != nil {
		t.Fatal(err)
	}
	if n, b := totals(r.merchant.ID); n != 0 || b != 0 {
		t.Fatalf("after the sweep: %d, %d bytes; want none", n, b)
	}
	if n, _ := totals(other.ID); n != 0 {
		t.Fatalf("the other merchant's expired callback is still counted after the sweep: %d", n)
	}
	if n, _ := totals("nobody"); n != 0 {
		t.Fatalf("a merchant without callbacks: %d", n)
	}
}
