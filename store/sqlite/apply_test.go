package sqlite

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paysync/paysync/store"
	"github.com/paysync/paysync/store/sqlite/internal/seed"
)

func TestClaimDue(t *testing.T) {
	clock := newFakeClock()
	db := newTestDB(t, clock.Now)
	ctx := context.Background()
	m := newTestMerchant(t, db)
	start := clock.Now()
	older := mustRegister(t, db, newPayUnitCheckout(m, "older", start.Add(-2*time.Second)))
	due := mustRegister(t, db, newPayUnitCheckout(m, "due", start))
	future := mustRegister(t, db, newPayUnitCheckout(m, "future", start.Add(time.Hour)))

	const lease = 30 * time.Second
	// Oldest due first, limit respected.
	first, err := db.ClaimDue(ctx, 1, lease)
	if err != nil || len(first) != 1 || first[0].ID != older.ID {
		t.Fatalf("ClaimDue(1) = %v, %v; want %s", ids(first), err, older.ID)
	}
	rest, err := db.ClaimDue(ctx, 10, lease)
	if err != nil || len(rest) != 1 || rest[0].ID != due.ID {
		t.Fatalf("ClaimDue(10) = %v, %v; want only %s", ids(rest), err, due.ID)
	}
	for _, c := range append(first, rest...) {
		if c.NextCheckAt == nil || !c.NextCheckAt.Equal(start.Add(lease)) {
			t.Errorf("claimed %s NextCheckAt = %v, want now+lease %v", c.ID, c.NextCheckAt, start.Add(lease))
		}
		stored, err := db.Checkout(ctx, m.ID, c.ID)
		if err != nil || !stored.NextCheckAt.Equal(start.Add(lease)) || stored.Version != c.Version {
			t.Errorf("stored %s NextCheckAt = %v, %v", c.ID, stored.NextCheckAt, err)
		}
	}
	if again, err := db.ClaimDue(ctx, 10, lease); err != nil || len(again) != 0 {
		t.Fatalf("second ClaimDue = %v, %v; want nothing while leased", ids(again), err)
	}
	clock.Advance(lease - time.Millisecond)
	if again, err := db.ClaimDue(ctx, 10, lease); err != nil || len(again) != 0 {
		t.Fatalf("ClaimDue just before the lease ends = %v, %v; want nothing", ids(again), err)
	}
	if next, ok, err := db.NextDue(ctx); err != nil || !ok || !next.Equal(start.Add(lease)) {
		t.Errorf("NextDue = %v, %v, %v; want %v", next, ok, err, start.Add(lease))
	}
	clock.Advance(time.Millisecond)
	back, err := db.ClaimDue(ctx, 10, lease)
	if err != nil {
		t.Fatal(err)
	}
	got := ids(back)
	slices.Sort(got)
	want := []string{older.ID, due.ID}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("ClaimDue after the lease = %v, want %v (not %s)", got, want, future.ID)
	}
}

func ids(cs []store.Checkout) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.ID
	}
	return out
}

// claimOne registers a due checkout and claims it (with whatever else is due).
func claimOne(t *testing.T, db *testDB, m store.CreatedMerchant, ref string) store.Checkout {
	t.Helper()
	c := mustRegister(t, db, newPayUnitCheckout(m, ref, db.Now()))
	claimed, err := db.ClaimDue(context.Background(), 100, time.Minute)
	if err != nil {
		t.Fatalf("ClaimDue: %v", err)
	}
	for _, x := range claimed {
		if x.ID == c.ID {
			return x
		}
	}
	t.Fatalf("ClaimDue = %v, want %s among them", ids(claimed), c.ID)
	return store.Checkout{}
}

func successFor(c store.Checkout) store.Observation {
	return store.Observation{CheckoutID: c.ID, Version: c.Version, WakeSeq: c.WakeSeq, ClaimSeq: c.ClaimSeq, Checked: true,
		State: store.StateSucceeded, ProviderStatus: "SUCCESS", Amount: "10.00", Currency: "XAF", ResolvedBy: store.SourcePoll, Attempts: 1}
}

func TestApplySettles(t *testing.T) {
	clock := newFakeClock()
	db := newTestDB(t, clock.Now)
	ctx := context.Background()
	m := newTestMerchant(t, db)
	c := claimOne(t, db, m, "ref")
	clock.Advance(2 * time.Second)
	got, err := db.Apply(ctx, successFor(c))
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	stored, err := db.Checkout(ctx, m.ID, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range []store.Checkout{got, stored} {
		if x.State != store.StateSucceeded || x.Version != c.Version+1 || x.ResolvedBy != store.SourcePoll || x.NextCheckAt != nil ||
			x.ProviderStatus != "SUCCESS" || x.LastCheckedAt == nil || !x.LastCheckedAt.Equal(clock.Now()) || !x.UpdatedAt.Equal(clock.Now()) {
			t.Errorf("after Apply: %+v", x)
		}
	}
	var lease *int64
	if err := db.read.QueryRow(`SELECT lease_until FROM checkouts WHERE id = ?`, c.ID).Scan(&lease); err != nil || lease != nil {
		t.Errorf("lease_until = %v, %v; want NULL after Apply", lease, err)
	}
	types := mustEventTypes(t, db, m.ID, c.ID)
	if strings.Join(types, ",") != "registered,status_checked,state_changed" {
		t.Errorf("events = %v", types)
	}
	if _, err := db.Apply(ctx, store.Observation{CheckoutID: "chk_nope", Version: 1}); store.ErrorCode(err) != store.ENOTFOUND {
		t.Errorf("Apply(unknown) = %v, want %s", err, store.ENOTFOUND)
	}
}

func TestApplyStaleVersion(t *testing.T) {
	clock := newFakeClock()
	db := newTestDB(t, clock.Now)
	ctx := context.Background()
	m := newTestMerchant(t, db)
	c := claimOne(t, db, m, "ref")

	stale := successFor(c)
	stale.Version = c.Version - 1
	_, err := db.Apply(ctx, stale)
	if !errors.Is(err, store.ErrVersionConflict) || store.ErrorCode(err) != store.ECONFLICT {
		t.Fatalf("Apply(stale) = %v, want ErrVersionConflict", err)
	}
	// Nothing was written.
	if types := mustEventTypes(t, db, m.ID, c.ID); len(types) != 1 {
		t.Errorf("events after a rejected Apply = %v", types)
	}
	if _, err := db.Apply(ctx, successFor(c)); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	// The same claim can't be applied twice.
	if _, err := db.Apply(ctx, successFor(c)); !errors.Is(err, store.ErrVersionConflict) {
		t.Fatalf("Apply twice = %v, want ErrVersionConflict", err)
	}
}

func TestApplyAfterWakeIsDueAgainAtOnce(t *testing.T) {
	clock := newFakeClock()
	db := newTestDB(t, clock.Now)
	ctx := context.Background()
	m := newTestMerchant(t, db)
	c := claimOne(t, db, m, "ref")

	// While the provider is being asked, a callback arrives.
	clock.Advance(time.Second)
	if _, err := db.RecordNotification(ctx, store.Notification{MerchantID: m.ID, Provider: store.ProviderPayUnit, TransactionID: "ref", Status: "SUCCESS"}); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Second)
	later := clock.Now().Add(5 * time.Minute)
	o := store.Observation{CheckoutID: c.ID, Version: c.Version, WakeSeq: c.WakeSeq, ClaimSeq: c.ClaimSeq, Checked: true,
		State: store.StatePending, ProviderStatus: "PENDING", Attempts: 4, NextCheckAt: &later}
	got, err := db.Apply(ctx, o)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if got.NextCheckAt == nil || !got.NextCheckAt.Equal(clock.Now()) {
		t.Errorf("NextCheckAt = %v, want now (%v): the wake must not be lost", got.NextCheckAt, clock.Now())
	}
	if got.Attempts != 0 {
		t.Errorf("Attempts = %d, want 0 (reset by the wake)", got.Attempts)
	}
	stored, _ := db.Checkout(ctx, m.ID, c.ID)
	if stored.NextCheckAt == nil || !stored.NextCheckAt.Equal(clock.Now()) {
		t.Errorf("stored NextCheckAt = %v, want %v", stored.NextCheckAt, clock.Now())
	}
	// Claimable again right away, with the new wake sequence.
	again, err := db.ClaimDue(ctx, 10, time.Minute)
	if err != nil || len(again) != 1 || again[0].WakeSeq != c.WakeSeq+1 {
		t.Fatalf("ClaimDue after the wake = %+v, %v", again, err)
	}
	// Without a wake, the observation's next check stands.
	o = store.Observation{CheckoutID: c.ID, Version: again[0].Version, WakeSeq: again[0].WakeSeq, ClaimSeq: again[0].ClaimSeq, Checked: true,
		State: store.StatePending, ProviderStatus: "PENDING", Attempts: 1, NextCheckAt: &later}
	got, err = db.Apply(ctx, o)
	if err != nil || got.NextCheckAt == nil || !got.NextCheckAt.Equal(later) || got.Attempts != 1 {
		t.Fatalf("Apply without wake: next %v attempts %d, %v; want %v, 1", got.NextCheckAt, got.Attempts, err, later)
	}
}

func TestApplyExpiryUndoneByWake(t *testing.T) {
	clock := newFakeClock()
	db := newTestDB(t, clock.Now)
	ctx := context.Background()
	m := newTestMerchant(t, db)
	c := claimOne(t, db, m, "ref")
	if _, _, err := db.BrowserReturned(ctx, c.Token, 0); err != nil {
		t.Fatal(err)
	}
	got, err := db.Apply(ctx, store.Observation{CheckoutID: c.ID, Version: c.Version, WakeSeq: c.WakeSeq, ClaimSeq: c.ClaimSeq, Expire: true})
	if err != nil {
		t.Fatal(err)
	}
	if got.State != store.StatePending || got.NextCheckAt == nil || !got.NextCheckAt.Equal(clock.Now()) {
		t.Errorf("expiry racing a browser return: state %q next %v; want pending, due now", got.State, got.NextCheckAt)
	}
	// The log and the version agree with the state kept: no pending→expired.
	if got.Version != c.Version {
		t.Errorf("Version = %d, want %d (nothing visible changed)", got.Version, c.Version)
	}
	evs, err := db.Events(ctx, m.ID, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if e.Type == store.EventStateChanged {
			t.Errorf("event log says %s→%s, but the checkout stayed %s", e.FromState, e.ToState, got.State)
		}
	}
}

func TestApplyConcurrentSameObservation(t *testing.T) {
	clock := newFakeClock()
	db := newTestDB(t, clock.Now)
	ctx := context.Background()
	m := newTestMerchant(t, db)
	c := claimOne(t, db, m, "ref")

	const n = 50
	var wg sync.WaitGroup
	var mu sync.Mutex
	var ok, conflicts int
	var other []error
	start := make(chan struct{})
	for range n {
		wg.Go(func() {
			<-start
			_, err := db.Apply(ctx, successFor(c))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case errors.Is(err, store.ErrVersionConflict):
				conflicts++
			default:
				other = append(other, err)
			}
		})
	}
	close(start)
	wg.Wait()
	if ok != 1 || conflicts != n-1 || len(other) != 0 {
		t.Fatalf("%d applied, %d conflicts, other errors %v; want 1, %d, none", ok, conflicts, other, n-1)
	}
	got, err := db.Checkout(ctx, m.ID, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != store.StateSucceeded || got.Version != c.Version+1 {
		t.Errorf("after the race: state %q version %d; want succeeded, %d", got.State, got.Version, c.Version+1)
	}
	var changes, checks int
	for _, typ := range mustEventTypes(t, db, m.ID, c.ID) {
		switch typ {
		case store.EventStateChanged:
			changes++
		case store.EventStatusChecked:
			checks++
		}
	}
	if changes != 1 || checks != 1 {
		t.Errorf("%d state_changed and %d status_checked events, want 1 and 1", changes, checks)
	}
}

func TestApplyLearnsProviderRef(t *testing.T) {
	clock := newFakeClock()
	db := newTestDB(t, clock.Now)
	ctx := context.Background()
	m := newTestMerchant(t, db)
	held := newPayUnitCheckout(m, "held", clock.Now().Add(time.Hour))
	held.ProviderRef = "PU_taken"
	mustRegister(t, db, held)
	c := claimOne(t, db, m, "ref")

	o := store.Observation{CheckoutID: c.ID, Version: c.Version, WakeSeq: c.WakeSeq, ClaimSeq: c.ClaimSeq, Checked: true,
		State: store.StatePending, ProviderStatus: "PENDING", ProviderRef: "PU_1"}
	got, err := db.Apply(ctx, o)
	if err != nil || got.ProviderRef != "PU_1" {
		t.Fatalf("Apply = %q, %v; want PU_1 learned", got.ProviderRef, err)
	}
	// Now found by it, for lists, callbacks and registrations.
	list, _, err := db.ListCheckouts(ctx, m.ID, store.CheckoutFilter{ProviderRef: "PU_1"})
	if err != nil || len(list) != 1 || list[0].ID != c.ID {
		t.Errorf("ListCheckouts(provider_ref) = %v, %v", ids(list), err)
	}
	if rec, err := db.RecordNotification(ctx, store.Notification{MerchantID: m.ID, Provider: store.ProviderPayUnit, ProviderCheckoutID: "PU_1"}); err != nil || rec.CheckoutID != c.ID {
		t.Errorf("RecordNotification(PU_1) = %+v, %v", rec, err)
	}
	in := newPayUnitCheckout(m, "ref", clock.Now())
	in.ProviderRef = "PU_1"
	if same, created, err := db.RegisterCheckout(ctx, in); err != nil || created || same.ID != c.ID {
		t.Errorf("re-register with the learned ref = %s %v %v", same.ID, created, err)
	}
	in.ProviderRef = "PU_2"
	if _, _, err := db.RegisterCheckout(ctx, in); store.ErrorCode(err) != store.ECONFLICT {
		t.Errorf("re-register with another provider_ref: %v, want %s", err, store.ECONFLICT)
	}

	// A ref another checkout holds is not learned (it would break the unique index).
	c2 := claimOne(t, db, m, "ref-2")
	o = successFor(c2)
	o.ProviderRef = "PU_taken"
	got, err = db.Apply(ctx, o)
	if err != nil {
		t.Fatalf("Apply(taken ref): %v", err)
	}
	if got.ProviderRef != "" || got.State != store.StatePending || got.Anomaly == nil || got.Anomaly.Code != store.AnomalyReferenceMismatch {
		t.Errorf("Apply(taken ref) = ref %q state %q anomaly %+v; want not learned, pending, reference_mismatch", got.ProviderRef, got.State, got.Anomaly)
	}
}

func TestApplyStoresActionAndAnomaly(t *testing.T) {
	clock := newFakeClock()
	db := newTestDB(t, clock.Now)
	ctx := context.Background()
	m := newTestMerchant(t, db)
	c := claimOne(t, db, m, "ref")
	later := clock.Now().Add(time.Minute)
	got, err := db.Apply(ctx, store.Observation{CheckoutID: c.ID, Version: c.Version, WakeSeq: c.WakeSeq, ClaimSeq: c.ClaimSeq, Checked: true,
		State: store.StateActionRequired, ProviderStatus: "PENDING_3DS", NextCheckAt: &later,
		Action: &store.Action{Instructions: []byte(`{"url":"https://3ds.example/a"}`)}})
	if err != nil {
		t.Fatal(err)
	}
	stored, _ := db.Checkout(ctx, m.ID, c.ID)
	if stored.State != store.StateActionRequired || stored.Action == nil || string(stored.Action.Instructions) != `{"url":"https://3ds.example/a"}` {
		t.Fatalf("stored = state %q action %+v", stored.State, stored.Action)
	}
	o := successFor(got)
	o.Amount = "9"
	if _, err := db.Apply(ctx, o); err != nil {
		t.Fatal(err)
	}
	stored, _ = db.Checkout(ctx, m.ID, c.ID)
	if stored.State != store.StateActionRequired || stored.Anomaly == nil || stored.Anomaly.Code != store.AnomalyAmountMismatch ||
		!strings.Contains(stored.Anomaly.Detail, "9") {
		t.Fatalf("stored after amount mismatch = state %q anomaly %+v", stored.State, stored.Anomaly)
	}
}

func TestClaimQueryPlanUsesIndex(t *testing.T) {
	db := newTestDB(t, newFakeClock().Now)
	m := newTestMerchant(t, db)
	for i := range 20 {
		mustRegister(t, db, newPayUnitCheckout(m, fmt.Sprint("ref-", i), db.Now()))
	}
	plan, err := seed.QueryPlan(context.Background(), db.read, seed.ClaimQuery, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(plan, "checkouts_due") || strings.Contains(plan, "SCAN checkouts") {
		t.Fatalf("claim plan does not use checkouts_due:\n%s", plan)
	}
}

// An expired checkout is not polled, but a callback wakes it and a verified
// success still settles it.
func TestExpiredCheckoutSettledAfterCallback(t *testing.T) {
	clock := newFakeClock()
	db := newTestDB(t, clock.Now)
	ctx := context.Background()
	m := newTestMerchant(t, db)
	c := claimOne(t, db, m, "ref")
	exp, err := db.Apply(ctx, store.Observation{CheckoutID: c.ID, Version: c.Version, WakeSeq: c.WakeSeq, ClaimSeq: c.ClaimSeq, Expire: true})
	if err != nil || exp.State != store.StateExpired || exp.NextCheckAt != nil {
		t.Fatalf("expire = %q next %v, %v", exp.State, exp.NextCheckAt, err)
	}
	if due, _ := db.ClaimDue(ctx, 10, time.Minute); len(due) != 0 {
		t.Fatalf("expired checkout claimed: %v", ids(due))
	}
	clock.Advance(time.Hour)
	if _, err := db.RecordNotification(ctx, store.Notification{MerchantID: m.ID, Provider: store.ProviderPayUnit, TransactionID: "ref", Status: "SUCCESS"}); err != nil {
		t.Fatal(err)
	}
	due, err := db.ClaimDue(ctx, 10, time.Minute)
	if err != nil || len(due) != 1 {
		t.Fatalf("ClaimDue after callback = %v, %v", ids(due), err)
	}
	o := successFor(due[0])
	o.ResolvedBy = store.SourceCallback
	got, err := db.Apply(ctx, o)
	if err != nil || got.State != store.StateSucceeded || got.ResolvedBy != store.SourceCallback || got.NextCheckAt != nil {
		t.Fatalf("Apply = state %q by %q next %v, %v", got.State, got.ResolvedBy, got.NextCheckAt, err)
	}
}

func TestApplyAfterLeaseLostIsRefused(t *testing.T) {
	clock := newFakeClock()
	db := newTestDB(t, clock.Now)
	ctx := context.Background()
	m := newTestMerchant(t, db)
	first := claimOne(t, db, m, "ref-lease")
	clock.Advance(2 * time.Minute) // the first checker's lease runs out
	again, err := db.ClaimDue(ctx, 10, time.Minute)
	if err != nil || len(again) != 1 {
		t.Fatalf("re-claim = %d, %v", len(again), err)
	}
	pending := func(c store.Checkout) store.Observation {
		return store.Observation{CheckoutID: c.ID, Version: c.Version, WakeSeq: c.WakeSeq, ClaimSeq: c.ClaimSeq,
			Checked: true, State: store.StatePending, ProviderStatus: "PENDING", Attempts: 1}
	}
	if _, err := db.Apply(ctx, pending(first)); !errors.Is(err, store.ErrVersionConflict) {
		t.Fatalf("Apply with the lost lease = %v, want ErrVersionConflict", err)
	}
	if _, err := db.Apply(ctx, pending(again[0])); err != nil {
		t.Fatalf("Apply with the current lease: %v", err)
	}
	evs, err := db.Events(ctx, m.ID, first.ID)
	if err != nil {
		t.Fatal(err)
	}
	checks := 0
	for _, e := range evs {
		if e.Type == store.EventStatusChecked {
			checks++
		}
	}
	if checks != 1 {
		t.Fatalf("%d status_checked events, want 1 (only the current lease applies)", checks)
	}
}
