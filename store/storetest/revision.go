package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/paysync/paysync/store"
)

// testRevFollowsEveryWrite: every write of a checkout's row (a start's
// pay_url among them), those that keep its version included (a callback's
// callback_received_at and wake, a refresh, a claim's lease, the
// retention sweep's history_purged_at), bumps Rev; CheckoutRev reads it, scoped by merchant; and the store
// announces each write after its commit, by OnChange with a snapshot of
// that very Rev or by OnTouch. A cache keyed on Rev and fed by both can't
// hold a body older than the row.
func testRevFollowsEveryWrite(t *testing.T, r *rig) {
	ctx := context.Background()
	var snapshots []store.Checkout
	var touched []string
	db, err := store.New(r.backend, store.Options{MasterKey: masterKey, Now: r.clock.Now,
		OnChange: func(c store.Checkout) { snapshots = append(snapshots, c) },
		OnTouch:  func(id string) { touched = append(touched, id) }})
	if err != nil {
		t.Fatal(err)
	}
	c, _, err := db.RegisterCheckout(ctx, r.registration("rev-1", r.clock.Now().Add(time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	prev := int64(-1)
	check := func(write string) store.Checkout {
		t.Helper()
		rev, err := db.CheckoutRev(ctx, r.merchant.ID, c.ID)
		if err != nil {
			t.Fatalf("after %s: CheckoutRev: %v", write, err)
		}
		row, err := db.CheckoutByID(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if rev <= prev || row.Rev != rev {
			t.Fatalf("after %s: rev %d (row %d), want above %d", write, rev, row.Rev, prev)
		}
		announced := len(touched) > 0 && touched[len(touched)-1] == c.ID
		if n := len(snapshots); n > 0 && snapshots[n-1].Rev == rev {
			announced = true
		}
		if !announced {
			t.Fatalf("after %s: rev %d announced neither by OnChange nor by OnTouch", write, rev)
		}
		prev, snapshots, touched = rev, nil, nil
		return row
	}
	check("registration")
	if _, err := db.CheckoutRev(ctx, r.newMerchant("other").ID, c.ID); store.ErrorCode(err) != store.ENOTFOUND {
		t.Fatalf("CheckoutRev of another merchant's checkout = %v, want ENOTFOUND", err)
	}
	if _, err := db.RecordNotification(ctx, store.Notification{MerchantID: r.merchant.ID, Provider: store.ProviderPayUnit,
		TransactionID: "rev-1", Status: "SUCCESS", Body: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	if row := check("callback"); row.CallbackReceivedAt == nil {
		t.Fatal("callback_received_at not set")
	}
	if _, err := db.RequestCheck(ctx, r.merchant.ID, c.ID); err != nil {
		t.Fatal(err)
	}
	check("refresh")
	started, err := db.RecordStart(ctx, store.StartResult{CheckoutID: c.ID, Outcome: store.StartStarted, PayURL: "https://pay.example/rev-1"})
	if err != nil {
		t.Fatal(err)
	}
	if row := check("start recorded"); row.Rev != started.Rev || row.PayURL == "" {
		t.Fatalf("RecordStart returned rev %d, the row has %d (pay_url %q)", started.Rev, row.Rev, row.PayURL)
	}
	if _, _, err := db.RegisterCheckout(ctx, store.NewCheckout{MerchantID: r.merchant.ID, Provider: store.ProviderPayUnit,
		Reference: "rev-1", ProviderRef: "PU-rev-1", Amount: "2500", Currency: "XAF",
		SuccessURL: "https://shop.example/ok", CancelURL: "https://shop.example/no"}); err != nil {
		t.Fatal(err)
	}
	check("provider_ref learned")
	claimed, err := db.ClaimDue(ctx, 10, time.Minute)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("ClaimDue = %d, %v", len(claimed), err)
	}
	check("claim")
	out, err := db.Apply(ctx, observation(claimed[0], store.StateSucceeded, "SUCCESS"))
	if err != nil {
		t.Fatal(err)
	}
	if row := check("apply"); row.Rev != out.Rev {
		t.Fatalf("Apply returned rev %d, the row has %d", out.Rev, row.Rev)
	}
	r.clock.Advance(retention.Settled + time.Hour)
	if _, err := db.Sweep(ctx, retention); err != nil {
		t.Fatal(err)
	}
	if row := check("retention sweep"); row.HistoryPurgedAt == nil {
		t.Fatal("history_purged_at not set")
	}
}
