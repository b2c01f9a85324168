package sqlite

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/paysync/paysync/store"
)

func TestNotificationBeforeRegistration(t *testing.T) {
	clock := newFakeClock()
	db := newTestDB(t, clock.Now)
	ctx := context.Background()
	m := newTestMerchant(t, db)

	arrived := clock.Now()
	rec, err := db.RecordNotification(ctx, store.Notification{MerchantID: m.ID, Provider: store.ProviderPayUnit,
		TransactionID: "Pu-CK-early", Status: "SUCCESS", ContentType: "application/json", Body: []byte(`{"status":"SUCCESS"}`)})
	if err != nil {
		t.Fatalf("RecordNotification: %v", err)
	}
	if rec.ID == 0 || rec.CheckoutID != "" {
		t.Fatalf("RecordNotification = %+v, want an id and no checkout", rec)
	}
	// Kept durably, unmatched.
	var body string
	var checkoutID *string
	if err := db.read.QueryRow(`SELECT body, checkout_id FROM notifications WHERE id = ?`, rec.ID).Scan(&body, &checkoutID); err != nil {
		t.Fatal(err)
	}
	if body != `{"status":"SUCCESS"}` || checkoutID != nil {
		t.Fatalf("stored notification body %q checkout %v", body, checkoutID)
	}
	// A notification of another merchant or provider with the same id must not be adopted.
	other := newTestMerchant(t, db)
	for _, n := range []store.Notification{
		{MerchantID: other.ID, Provider: store.ProviderPayUnit, TransactionID: "Pu-CK-early"},
		{MerchantID: m.ID, Provider: store.ProviderAzotte, TransactionID: "Pu-CK-early"},
	} {
		if _, err := db.RecordNotification(ctx, n); err != nil {
			t.Fatal(err)
		}
	}

	clock.Advance(5 * time.Second)
	in := newPayUnitCheckout(m, "Pu-CK-early", clock.Now().Add(time.Minute)) // grace: first check in a minute
	c := mustRegister(t, db, in)
	if c.NextCheckAt == nil || !c.NextCheckAt.Equal(clock.Now()) {
		t.Errorf("NextCheckAt = %v, want now (%v): the early callback must make it due", c.NextCheckAt, clock.Now())
	}
	if c.WakeReason != store.SourceCallback {
		t.Errorf("WakeReason = %q, want %q", c.WakeReason, store.SourceCallback)
	}
	if c.CallbackReceivedAt == nil || !c.CallbackReceivedAt.Equal(arrived) {
		t.Errorf("CallbackReceivedAt = %v, want %v (when it arrived)", c.CallbackReceivedAt, arrived)
	}
	if c.State != store.StatePending || c.Version != 1 {
		t.Errorf("a callback is not a verdict: state %q version %d", c.State, c.Version)
	}
	evs, err := db.Events(ctx, m.ID, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	var cb []store.Event
	for _, e := range evs {
		if e.Type == store.EventCallbackReceived {
			cb = append(cb, e)
		}
	}
	if len(cb) != 1 || cb[0].ProviderStatus != "SUCCESS" || !cb[0].At.Equal(arrived) {
		t.Errorf("callback_received events = %+v, want one SUCCESS at %v", cb, arrived)
	}
	if err := db.read.QueryRow(`SELECT checkout_id FROM notifications WHERE id = ?`, rec.ID).Scan(&checkoutID); err != nil {
		t.Fatal(err)
	}
	if checkoutID == nil || *checkoutID != c.ID {
		t.Errorf("notification checkout_id = %v, want %s", checkoutID, c.ID)
	}
	var unmatched int
	if err := db.read.QueryRow(`SELECT count(*) FROM notifications WHERE checkout_id IS NULL`).Scan(&unmatched); err != nil {
		t.Fatal(err)
	}
	if unmatched != 2 {
		t.Errorf("%d unmatched notifications left, want 2 (other merchant, other provider)", unmatched)
	}
	// It is claimable at once.
	claimed, err := db.ClaimDue(ctx, 10, time.Minute)
	if err != nil || len(claimed) != 1 || claimed[0].ID != c.ID {
		t.Fatalf("ClaimDue = %v, %v; want the checkout", claimed, err)
	}
}

func TestNotificationBeforeRegistrationByProviderRef(t *testing.T) {
	clock := newFakeClock()
	db := newTestDB(t, clock.Now)
	ctx := context.Background()
	m := newTestMerchant(t, db)
	if _, err := db.RecordNotification(ctx, store.Notification{MerchantID: m.ID, Provider: store.ProviderAzotte, ProviderCheckoutID: "TRK-9"}); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Second)
	second := clock.Now()
	if _, err := db.RecordNotification(ctx, store.Notification{MerchantID: m.ID, Provider: store.ProviderAzotte, ProviderCheckoutID: "TRK-9"}); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Second)
	c := mustRegister(t, db, store.NewCheckout{MerchantID: m.ID, Provider: store.ProviderAzotte, ProviderRef: "TRK-9",
		Amount: "1", Currency: "EUR", FirstCheckAt: clock.Now().Add(time.Hour)})
	if c.NextCheckAt == nil || !c.NextCheckAt.Equal(clock.Now()) || c.CallbackReceivedAt == nil || !c.CallbackReceivedAt.Before(second) {
		t.Errorf("next %v, callback %v; want now and the first arrival", c.NextCheckAt, c.CallbackReceivedAt)
	}
	types := mustEventTypes(t, db, m.ID, c.ID)
	if n := strings.Count(strings.Join(types, ","), store.EventCallbackReceived); n != 2 {
		t.Errorf("events = %v, want 2 callback_received", types)
	}
}

func TestRegistrationWithoutEarlyNotificationKeepsGrace(t *testing.T) {
	clock := newFakeClock()
	db := newTestDB(t, clock.Now)
	m := newTestMerchant(t, db)
	// An unmatched notification with an empty transaction id must not be adopted by everyone.
	if _, err := db.RecordNotification(context.Background(), store.Notification{MerchantID: m.ID, Provider: store.ProviderPayUnit}); err != nil {
		t.Fatal(err)
	}
	first := clock.Now().Add(time.Minute)
	c := mustRegister(t, db, newPayUnitCheckout(m, "ref", first))
	if c.NextCheckAt == nil || !c.NextCheckAt.Equal(first) || c.CallbackReceivedAt != nil || c.WakeReason != "" {
		t.Errorf("next %v, callback %v, reason %q; want %v, nil, \"\"", c.NextCheckAt, c.CallbackReceivedAt, c.WakeReason, first)
	}
}

func TestNotificationWakesRegisteredCheckout(t *testing.T) {
	clock := newFakeClock()
	db := newTestDB(t, clock.Now)
	ctx := context.Background()
	m := newTestMerchant(t, db)
	c := mustRegister(t, db, newPayUnitCheckout(m, "ref", clock.Now().Add(time.Hour)))

	clock.Advance(3 * time.Second)
	first := clock.Now()
	rec, err := db.RecordNotification(ctx, store.Notification{MerchantID: m.ID, Provider: store.ProviderPayUnit,
		TransactionID: "ref", Status: "SUCCESS", Body: []byte("status=SUCCESS")})
	if err != nil {
		t.Fatal(err)
	}
	if rec.CheckoutID != c.ID {
		t.Fatalf("CheckoutID = %q, want %q", rec.CheckoutID, c.ID)
	}
	got, err := db.Checkout(ctx, m.ID, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.NextCheckAt == nil || !got.NextCheckAt.Equal(first) || got.WakeReason != store.SourceCallback || got.WakeSeq != c.WakeSeq+1 {
		t.Errorf("after callback: next %v reason %q seq %d; want %v callback %d", got.NextCheckAt, got.WakeReason, got.WakeSeq, first, c.WakeSeq+1)
	}
	if got.CallbackReceivedAt == nil || !got.CallbackReceivedAt.Equal(first) {
		t.Errorf("CallbackReceivedAt = %v, want %v", got.CallbackReceivedAt, first)
	}
	if got.State != store.StatePending || got.Version != c.Version || got.ProviderStatus != "" {
		t.Errorf("a callback is not a verdict: %+v", got)
	}

	// A second callback keeps the first arrival time and wakes again.
	clock.Advance(time.Second)
	if _, err := db.RecordNotification(ctx, store.Notification{MerchantID: m.ID, Provider: store.ProviderPayUnit, TransactionID: "ref"}); err != nil {
		t.Fatal(err)
	}
	got, _ = db.Checkout(ctx, m.ID, c.ID)
	if !got.CallbackReceivedAt.Equal(first) || !got.NextCheckAt.Equal(clock.Now()) || got.WakeSeq != c.WakeSeq+2 {
		t.Errorf("after second callback: callback %v next %v seq %d", got.CallbackReceivedAt, got.NextCheckAt, got.WakeSeq)
	}
	types := mustEventTypes(t, db, m.ID, c.ID)
	if strings.Join(types, ",") != "registered,callback_received,callback_received" {
		t.Errorf("events = %v", types)
	}
}

func TestNotificationMatchesByProviderCheckoutID(t *testing.T) {
	clock := newFakeClock()
	db := newTestDB(t, clock.Now)
	ctx := context.Background()
	m := newTestMerchant(t, db)
	in := newPayUnitCheckout(m, "ref", clock.Now().Add(time.Hour))
	in.ProviderRef = "PU_1"
	c := mustRegister(t, db, in)
	rec, err := db.RecordNotification(ctx, store.Notification{MerchantID: m.ID, Provider: store.ProviderPayUnit, ProviderCheckoutID: "PU_1"})
	if err != nil || rec.CheckoutID != c.ID {
		t.Fatalf("RecordNotification = %+v, %v; want checkout %s", rec, err, c.ID)
	}
	// Neither another merchant's nor an empty id matches.
	other := newTestMerchant(t, db)
	for _, n := range []store.Notification{
		{MerchantID: other.ID, Provider: store.ProviderPayUnit, TransactionID: "ref", ProviderCheckoutID: "PU_1"},
		{MerchantID: m.ID, Provider: store.ProviderPayUnit},
	} {
		rec, err := db.RecordNotification(ctx, n)
		if err != nil || rec.CheckoutID != "" {
			t.Errorf("RecordNotification(%+v) = %+v, %v; want unmatched", n, rec, err)
		}
	}
}

func TestNotificationForTerminalCheckout(t *testing.T) {
	clock := newFakeClock()
	db := newTestDB(t, clock.Now)
	ctx := context.Background()
	m := newTestMerchant(t, db)
	c := mustRegister(t, db, newPayUnitCheckout(m, "ref", clock.Now()))
	claimed, err := db.ClaimDue(ctx, 1, time.Minute)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("ClaimDue = %v, %v", claimed, err)
	}
	done, err := db.Apply(ctx, store.Observation{CheckoutID: c.ID, Version: claimed[0].Version, WakeSeq: claimed[0].WakeSeq, ClaimSeq: claimed[0].ClaimSeq,
		Checked: true, State: store.StateFailed, ProviderStatus: "FAILED", ResolvedBy: store.SourcePoll})
	if err != nil || done.State != store.StateFailed || done.NextCheckAt != nil {
		t.Fatalf("Apply = %+v, %v; want failed, unscheduled", done, err)
	}

	clock.Advance(time.Minute)
	rec, err := db.RecordNotification(ctx, store.Notification{MerchantID: m.ID, Provider: store.ProviderPayUnit, TransactionID: "ref",
		Status: "SUCCESS", Body: []byte(`{}`)})
	if err != nil || rec.CheckoutID != c.ID {
		t.Fatalf("RecordNotification = %+v, %v", rec, err)
	}
	var n int
	if err := db.read.QueryRow(`SELECT count(*) FROM notifications WHERE id = ? AND checkout_id = ?`, rec.ID, c.ID).Scan(&n); err != nil || n != 1 {
		t.Fatalf("stored notification = %d, %v", n, err)
	}
	got, err := db.Checkout(ctx, m.ID, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != store.StateFailed || got.NextCheckAt != nil || got.Version != done.Version || got.WakeSeq != done.WakeSeq {
		t.Errorf("terminal checkout after callback: state %q next %v version %d seq %d", got.State, got.NextCheckAt, got.Version, got.WakeSeq)
	}
	types := mustEventTypes(t, db, m.ID, c.ID)
	if types[len(types)-1] != store.EventCallbackReceived {
		t.Errorf("events = %v, want callback_received logged last", types)
	}
	if due, err := db.ClaimDue(ctx, 10, time.Minute); err != nil || len(due) != 0 {
		t.Errorf("ClaimDue after callback on terminal = %d, %v; want none", len(due), err)
	}
	if _, ok, err := db.NextDue(ctx); err != nil || ok {
		t.Errorf("NextDue = %v, %v; want nothing scheduled", ok, err)
	}
}

func TestWakeKeepsLiveLease(t *testing.T) {
	clock := newFakeClock()
	db := newTestDB(t, clock.Now)
	ctx := context.Background()
	m := newTestMerchant(t, db)
	c := claimOne(t, db, m, "ref-leased")
	if _, err := db.RecordNotification(ctx, store.Notification{MerchantID: m.ID, Provider: store.ProviderPayUnit, TransactionID: "ref-leased", Body: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	again, err := db.ClaimDue(ctx, 10, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if len(again) != 0 {
		t.Fatalf("a callback during a check let %d more claims through; want the lease kept", len(again))
	}
	got, err := db.Apply(ctx, store.Observation{CheckoutID: c.ID, Version: c.Version, WakeSeq: c.WakeSeq, ClaimSeq: c.ClaimSeq,
		Checked: true, State: store.StatePending, ProviderStatus: "PENDING", Attempts: 1, NextCheckAt: ptrTime(clock.Now().Add(time.Hour))})
	if err != nil {
		t.Fatal(err)
	}
	if got.NextCheckAt == nil || !got.NextCheckAt.Equal(clock.Now()) {
		t.Fatalf("after a check overtaken by a callback: next %v, want now", got.NextCheckAt)
	}
}
