package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/paysync/paysync/store"
)

// testListFilters: each list filter finds exactly its checkouts, newest
// first, across providers (a reference is unique per provider), and never
// another merchant's.
func testListFilters(t *testing.T, r *rig) {
	ctx := context.Background()
	other := r.newMerchant("other")
	in := r.registration("order-1", r.clock.Now())
	in.MerchantID = other.ID
	if _, _, err := r.db.RegisterCheckout(ctx, in); err != nil {
		t.Fatal(err)
	}
	first := r.register("order-1", r.clock.Now())
	r.clock.Advance(time.Second)
	azotte := store.NewCheckout{MerchantID: r.merchant.ID, Provider: store.ProviderAzotte, Reference: "order-1",
		ProviderRef: "TRK-1", Amount: "10", Currency: "XAF", FirstCheckAt: r.clock.Now()}
	second, _, err := r.db.RegisterCheckout(ctx, azotte)
	if err != nil {
		t.Fatal(err)
	}
	r.clock.Advance(time.Second)
	r.register("order-2", r.clock.Now())
	for _, tc := range []struct {
		name string
		f    store.CheckoutFilter
		want []string
	}{
		{"reference in both providers", store.CheckoutFilter{Reference: "order-1"}, []string{second.ID, first.ID}},
		{"provider_ref", store.CheckoutFilter{ProviderRef: "TRK-1"}, []string{second.ID}},
		{"reference and state", store.CheckoutFilter{Reference: "order-1", State: store.StatePending}, []string{second.ID, first.ID}},
		{"state", store.CheckoutFilter{State: store.StatePending, Limit: 2}, nil},
		{"no match", store.CheckoutFilter{Reference: "order-9"}, []string{}},
		{"other state", store.CheckoutFilter{State: store.StateSucceeded}, []string{}},
	} {
		page, _, err := r.db.ListCheckouts(ctx, r.merchant.ID, tc.f)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if tc.want == nil { // a page of the three pending ones
			if len(page) != 2 || page[1].ID != second.ID {
				t.Errorf("%s: %d checkouts, the second %v; want the two newest", tc.name, len(page), page)
			}
			continue
		}
		got := make([]string, len(page))
		for i, c := range page {
			got[i] = c.ID
		}
		if len(got) != len(tc.want) || (len(got) > 0 && (got[0] != tc.want[0] || got[len(got)-1] != tc.want[len(tc.want)-1])) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
