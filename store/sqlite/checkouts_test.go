package sqlite

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/paysync/paysync/store"
)

func TestRegisterCheckout(t *testing.T) {
	clock := newFakeClock()
	db := newTestDB(t, clock.Now)
	ctx := context.Background()
	m := newTestMerchant(t, db)
	first := clock.Now().Add(time.Minute)
	in := newPayUnitCheckout(m, "Pu-CK-1688997260698", first)
	in.Amount = "10.00"

	c, created, err := db.RegisterCheckout(ctx, in)
	if err != nil || !created {
		t.Fatalf("RegisterCheckout = %v, %v; want created", created, err)
	}
	if !strings.HasPrefix(c.ID, "chk_") || c.Token == "" || c.MerchantID != m.ID || c.Provider != store.ProviderPayUnit ||
		c.Reference != in.Reference || c.ProviderRef != "" || c.Amount != "10" || c.Currency != "XAF" ||
		c.SuccessURL != in.SuccessURL || c.CancelURL != in.CancelURL || c.State != store.StatePending ||
		c.Version != 1 || c.Anomaly != nil || c.Action != nil || c.ResolvedBy != "" ||
		c.CallbackReceivedAt != nil || c.LastCheckedAt != nil {
		t.Fatalf("registered checkout = %+v", c)
	}
	if c.NextCheckAt == nil || !c.NextCheckAt.Equal(first) {
		t.Errorf("NextCheckAt = %v, want %v", c.NextCheckAt, first)
	}
	if !c.CreatedAt.Equal(clock.Now()) || !c.UpdatedAt.Equal(clock.Now()) {
		t.Errorf("CreatedAt, UpdatedAt = %v, %v; want %v", c.CreatedAt, c.UpdatedAt, clock.Now())
	}
	if got := mustEventTypes(t, db, m.ID, c.ID); len(got) != 1 || got[0] != store.EventRegistered {
		t.Errorf("events = %v, want [registered]", got)
	}
	if got, err := db.CheckoutByToken(ctx, c.Token); err != nil || got.ID != c.ID {
		t.Errorf("CheckoutByToken = %v, %v", got.ID, err)
	}

	// Same fields (amount spelled differently): the existing checkout.
	clock.Advance(time.Second)
	again := in
	again.Amount = "10"
	got, created, err := db.RegisterCheckout(ctx, again)
	if err != nil || created || got.ID != c.ID || got.Version != 1 {
		t.Fatalf("second RegisterCheckout = %s created=%v, %v; want %s created=false", got.ID, created, err, c.ID)
	}

	conflicts := map[string]func(*store.NewCheckout){
		"amount":      func(n *store.NewCheckout) { n.Amount = "11" },
		"currency":    func(n *store.NewCheckout) { n.Currency = "EUR" },
		"success_url": func(n *store.NewCheckout) { n.SuccessURL = "https://shop.example/other" },
		"cancel_url":  func(n *store.NewCheckout) { n.CancelURL = "" },
	}
	for name, f := range conflicts {
		n := in
		f(&n)
		_, _, err := db.RegisterCheckout(ctx, n)
		if store.ErrorCode(err) != store.ECONFLICT {
			t.Errorf("%s differs: err = %v, want %s", name, err, store.ECONFLICT)
		}
	}

	// Another merchant may use the same reference.
	other := newTestMerchant(t, db)
	oc := mustRegister(t, db, newPayUnitCheckout(other, in.Reference, first))
	if oc.ID == c.ID {
		t.Fatal("other merchant got the same checkout")
	}
	// ... and so may another provider.
	az := in
	az.Provider = store.ProviderAzotte
	if ac := mustRegister(t, db, az); ac.ID == c.ID {
		t.Fatal("azotte registration got the payunit checkout")
	}

	var n int
	if err := db.read.QueryRow(`SELECT count(*) FROM checkouts`).Scan(&n); err != nil || n != 3 {
		t.Fatalf("checkouts = %d, %v; want 3", n, err)
	}
}

func TestRegisterCheckoutInvalid(t *testing.T) {
	db := newTestDB(t, newFakeClock().Now)
	m := newTestMerchant(t, db)
	for name, f := range map[string]func(*store.NewCheckout){
		"zero amount":     func(n *store.NewCheckout) { n.Amount = "0" },
		"float amount":    func(n *store.NewCheckout) { n.Amount = "1e3" },
		"no identity":     func(n *store.NewCheckout) { n.Reference, n.ProviderRef = "", "" },
		"negative amount": func(n *store.NewCheckout) { n.Amount = "-10" },
	} {
		in := newPayUnitCheckout(m, "ref", time.Time{})
		f(&in)
		_, _, err := db.RegisterCheckout(context.Background(), in)
		if store.ErrorCode(err) != store.EINVALID {
			t.Errorf("%s: err = %v, want %s", name, err, store.EINVALID)
		}
	}
}

func TestRegisterCheckoutByProviderRef(t *testing.T) {
	clock := newFakeClock()
	db := newTestDB(t, clock.Now)
	ctx := context.Background()
	m := newTestMerchant(t, db)
	in := store.NewCheckout{MerchantID: m.ID, Provider: store.ProviderAzotte, ProviderRef: "TRK-1", Amount: "5.5", Currency: "EUR", FirstCheckAt: clock.Now()}
	c := mustRegister(t, db, in)
	if c.Reference != "" || c.ProviderRef != "TRK-1" || c.Amount != "5.5" {
		t.Fatalf("checkout = %+v", c)
	}
	got, created, err := db.RegisterCheckout(ctx, in)
	if err != nil || created || got.ID != c.ID {
		t.Fatalf("again = %s %v %v", got.ID, created, err)
	}
	in.Amount = "5.50"
	in.Currency = "USD" // 5.50 XAF is no amount (XAF has no minor units)
	if _, _, err := db.RegisterCheckout(ctx, in); store.ErrorCode(err) != store.ECONFLICT {
		t.Fatalf("different currency: %v, want %s", err, store.ECONFLICT)
	}
}

func TestRegisterCheckoutIdempotencyKey(t *testing.T) {
	clock := newFakeClock()
	db := newTestDB(t, clock.Now)
	ctx := context.Background()
	m := newTestMerchant(t, db)
	in := newPayUnitCheckout(m, "ref-1", clock.Now())
	in.IdempotencyKey = "idem-1"
	c := mustRegister(t, db, in)
	if c.IdempotencyKey != "idem-1" {
		t.Fatalf("IdempotencyKey = %q", c.IdempotencyKey)
	}
	got, created, err := db.RegisterCheckout(ctx, in)
	if err != nil || created || got.ID != c.ID {
		t.Fatalf("replay = %s %v %v; want %s, false", got.ID, created, err, c.ID)
	}
	// The same key with another body is a conflict, not a second checkout.
	changed := in
	changed.Reference, changed.Amount = "ref-2", "20"
	if _, _, err := db.RegisterCheckout(ctx, changed); store.ErrorCode(err) != store.ECONFLICT {
		t.Fatalf("same key, other body: %v, want %s", err, store.ECONFLICT)
	}
	// Another key for another checkout is a new checkout.
	fresh := in
	fresh.Reference, fresh.IdempotencyKey = "ref-2", "idem-2"
	if c2 := mustRegister(t, db, fresh); c2.ID == c.ID {
		t.Fatal("new key returned the old checkout")
	}
	// Another merchant's key space is separate.
	other := newTestMerchant(t, db)
	o := newPayUnitCheckout(other, "ref-9", clock.Now())
	o.IdempotencyKey = "idem-1"
	if oc := mustRegister(t, db, o); oc.ID == c.ID {
		t.Fatal("another merchant's idempotency key returned this merchant's checkout")
	}
}

func TestRegisterCheckoutConcurrentSameReference(t *testing.T) {
	clock := newFakeClock()
	db := newTestDB(t, clock.Now)
	m := newTestMerchant(t, db)
	in := newPayUnitCheckout(m, "ref-race", clock.Now())
	const n = 30
	ids := make(chan string, n)
	errs := make(chan error, n)
	for range n {
		go func() {
			c, _, err := db.RegisterCheckout(context.Background(), in)
			ids <- c.ID
			errs <- err
		}()
	}
	seen := map[string]bool{}
	for range n {
		if err := <-errs; err != nil {
			t.Errorf("RegisterCheckout: %v", err)
		}
		seen[<-ids] = true
	}
	if len(seen) != 1 {
		t.Fatalf("concurrent registrations produced %d checkouts: %v", len(seen), seen)
	}
}

func TestCheckoutOfAnotherMerchantIsNotFound(t *testing.T) {
	clock := newFakeClock()
	db := newTestDB(t, clock.Now)
	ctx := context.Background()
	a, b := newTestMerchant(t, db), newTestMerchant(t, db)
	c := mustRegister(t, db, newPayUnitCheckout(a, "ref", clock.Now()))
	if _, err := db.Checkout(ctx, a.ID, c.ID); err != nil {
		t.Fatalf("own checkout: %v", err)
	}
	_, errOther := db.Checkout(ctx, b.ID, c.ID)
	_, errUnknown := db.Checkout(ctx, b.ID, "chk_unknown")
	wantCode(t, errOther, store.ENOTFOUND)
	wantCode(t, errUnknown, store.ENOTFOUND)
	if store.ErrorMessage(errOther) != store.ErrorMessage(errUnknown) {
		t.Errorf("another merchant's checkout (%q) is distinguishable from an unknown one (%q)", store.ErrorMessage(errOther), store.ErrorMessage(errUnknown))
	}
	if _, err := db.Events(ctx, b.ID, c.ID); store.ErrorCode(err) != store.ENOTFOUND {
		t.Errorf("Events of another merchant's checkout: %v, want %s", err, store.ENOTFOUND)
	}
	if _, err := db.RequestCheck(ctx, b.ID, c.ID); store.ErrorCode(err) != store.ENOTFOUND {
		t.Errorf("RequestCheck of another merchant's checkout: %v, want %s", err, store.ENOTFOUND)
	}
	if list, _, err := db.ListCheckouts(ctx, b.ID, store.CheckoutFilter{}); err != nil || len(list) != 0 {
		t.Errorf("ListCheckouts(other merchant) = %d, %v; want 0", len(list), err)
	}
}

func TestListCheckoutsPagination(t *testing.T) {
	clock := newFakeClock()
	db := newTestDB(t, clock.Now)
	m := newTestMerchant(t, db)
	var want []string // newest first
	for i := range 5 {
		c := mustRegister(t, db, newPayUnitCheckout(m, fmt.Sprintf("ref-%d", i), clock.Now()))
		want = append([]string{c.ID}, want...)
		clock.Advance(time.Second)
	}
	got := listAll(t, db, m.ID, store.CheckoutFilter{Limit: 2}, 3)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("pages = %v, want %v (newest first)", got, want)
	}
}

// Checkouts created in the same millisecond are ordered by id and none is
// lost or repeated across pages.
func TestListCheckoutsPaginationSameInstant(t *testing.T) {
	clock := newFakeClock()
	db := newTestDB(t, clock.Now)
	m := newTestMerchant(t, db)
	ids := map[string]bool{}
	for i := range 7 {
		ids[mustRegister(t, db, newPayUnitCheckout(m, fmt.Sprintf("ref-%d", i), clock.Now())).ID] = true
	}
	got := listAll(t, db, m.ID, store.CheckoutFilter{Limit: 3}, 3)
	if len(got) != 7 {
		t.Fatalf("listed %d checkouts, want 7: %v", len(got), got)
	}
	for i, id := range got {
		if !ids[id] {
			t.Errorf("listed unknown or repeated id %s", id)
		}
		delete(ids, id)
		if i > 0 && got[i-1] < id {
			t.Errorf("ids not descending within one instant: %s before %s", got[i-1], id)
		}
	}
}

// listAll follows the cursor to the end, checking the number of pages.
func listAll(t *testing.T, db *testDB, merchantID string, f store.CheckoutFilter, wantPages int) []string {
	t.Helper()
	var ids []string
	seen := map[string]bool{}
	pages := 0
	var prev time.Time
	for {
		page, next, err := db.ListCheckouts(context.Background(), merchantID, f)
		if err != nil {
			t.Fatalf("ListCheckouts(%+v): %v", f, err)
		}
		pages++
		if len(page) > f.Limit {
			t.Fatalf("page of %d, limit %d", len(page), f.Limit)
		}
		for _, c := range page {
			if seen[c.ID] {
				t.Fatalf("checkout %s listed twice", c.ID)
			}
			seen[c.ID] = true
			if !prev.IsZero() && c.CreatedAt.After(prev) {
				t.Fatalf("not newest first: %v after %v", c.CreatedAt, prev)
			}
			prev = c.CreatedAt
			ids = append(ids, c.ID)
		}
		if next == "" {
			break
		}
		if pages > 100 {
			t.Fatal("cursor never ends")
		}
		f.Cursor = next
	}
	if pages != wantPages {
		t.Errorf("%d pages, want %d", pages, wantPages)
	}
	return ids
}

func TestListCheckoutsFilters(t *testing.T) {
	clock := newFakeClock()
	db := newTestDB(t, clock.Now)
	ctx := context.Background()
	m := newTestMerchant(t, db)
	a := mustRegister(t, db, newPayUnitCheckout(m, "ref-a", clock.Now()))
	clock.Advance(time.Millisecond)
	bIn := newPayUnitCheckout(m, "ref-b", clock.Now())
	bIn.ProviderRef = "PU_b"
	b := mustRegister(t, db, bIn)
	clock.Advance(time.Millisecond)
	c := mustRegister(t, db, newPayUnitCheckout(m, "ref-c", clock.Now()))
	// Settle c.
	claimed, err := db.ClaimDue(ctx, 10, time.Minute)
	if err != nil || len(claimed) != 3 {
		t.Fatalf("ClaimDue = %d, %v", len(claimed), err)
	}
	var claimSeq int64
	for _, cl := range claimed {
		if cl.ID == c.ID {
			claimSeq = cl.ClaimSeq
		}
	}
	if _, err := db.Apply(ctx, store.Observation{CheckoutID: c.ID, Version: c.Version, ClaimSeq: claimSeq, Checked: true, State: store.StateSucceeded,
		ProviderStatus: "SUCCESS", Amount: "10", Currency: "XAF", ResolvedBy: store.SourcePoll}); err != nil {
		t.Fatalf("Apply: %v", err)
	}

	for _, tt := range []struct {
		f    store.CheckoutFilter
		want []string
	}{
		{store.CheckoutFilter{}, []string{c.ID, b.ID, a.ID}},
		{store.CheckoutFilter{Reference: "ref-a"}, []string{a.ID}},
		{store.CheckoutFilter{ProviderRef: "PU_b"}, []string{b.ID}},
		{store.CheckoutFilter{State: store.StateSucceeded}, []string{c.ID}},
		{store.CheckoutFilter{State: store.StatePending}, []string{b.ID, a.ID}},
		{store.CheckoutFilter{State: store.StatePending, Reference: "ref-c"}, nil},
		{store.CheckoutFilter{Reference: "nope"}, nil},
	} {
		list, next, err := db.ListCheckouts(ctx, m.ID, tt.f)
		if err != nil {
			t.Fatalf("ListCheckouts(%+v): %v", tt.f, err)
		}
		var got []string
		for _, c := range list {
			got = append(got, c.ID)
		}
		if strings.Join(got, ",") != strings.Join(tt.want, ",") || next != "" {
			t.Errorf("ListCheckouts(%+v) = %v, next %q; want %v, \"\"", tt.f, got, next, tt.want)
		}
	}
}

func TestListCheckoutsBadCursor(t *testing.T) {
	db := newTestDB(t, newFakeClock().Now)
	m := newTestMerchant(t, db)
	for _, cursor := range []string{
		"!!!not base64",
		base64.RawURLEncoding.EncodeToString([]byte("no separator")),
		base64.RawURLEncoding.EncodeToString([]byte("notanumber|chk_1")),
		base64.StdEncoding.EncodeToString([]byte("12|chk_1")) + "==",
	} {
		_, _, err := db.ListCheckouts(context.Background(), m.ID, store.CheckoutFilter{Cursor: cursor})
		if store.ErrorCode(err) != store.EINVALID {
			t.Errorf("cursor %q: err = %v, want %s", cursor, err, store.EINVALID)
		}
	}
}

func TestRequestCheck(t *testing.T) {
	clock := newFakeClock()
	db := newTestDB(t, clock.Now)
	ctx := context.Background()
	m := newTestMerchant(t, db)
	c := mustRegister(t, db, newPayUnitCheckout(m, "ref", clock.Now().Add(time.Hour)))
	clock.Advance(time.Second)
	got, _, err := db.BrowserReturned(ctx, c.Token, 0)
	if err != nil {
		t.Fatalf("BrowserReturned: %v", err)
	}
	if got.NextCheckAt == nil || !got.NextCheckAt.Equal(clock.Now()) || got.WakeReason != store.SourceBrowserReturn ||
		got.WakeSeq != c.WakeSeq+1 || got.Version != c.Version {
		t.Errorf("after RequestCheck: next %v reason %q seq %d version %d", got.NextCheckAt, got.WakeReason, got.WakeSeq, got.Version)
	}
	types := mustEventTypes(t, db, m.ID, c.ID)
	if strings.Join(types, ",") != store.EventRegistered+","+store.EventBrowserReturned {
		t.Errorf("events = %v", types)
	}
	if _, err := db.RequestCheck(ctx, m.ID, c.ID); err != nil {
		t.Fatal(err)
	}
	types = mustEventTypes(t, db, m.ID, c.ID)
	if types[len(types)-1] != store.EventRefreshRequested {
		t.Errorf("events = %v, want refresh_requested last", types)
	}
}

func TestRegisterAgainLearnsProviderRef(t *testing.T) {
	clock := newFakeClock()
	db := newTestDB(t, clock.Now)
	m := newTestMerchant(t, db)
	first := mustRegister(t, db, newPayUnitCheckout(m, "ref-learn", clock.Now()))
	again := newPayUnitCheckout(m, "ref-learn", clock.Now())
	again.ProviderRef = "PU_learned"
	got, created, err := db.RegisterCheckout(context.Background(), again)
	if err != nil || created {
		t.Fatalf("RegisterCheckout again = created %v, %v", created, err)
	}
	if got.ID != first.ID || got.ProviderRef != "PU_learned" || got.Version != first.Version+1 {
		t.Fatalf("got id %s ref %q version %d; want %s, PU_learned, %d", got.ID, got.ProviderRef, got.Version, first.ID, first.Version+1)
	}
}
