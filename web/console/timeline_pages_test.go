package console_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/paysync/paysync/store"
)

// TestCheckoutPagePagesItsTimeline (issue 22, point 5): the page of a
// flooded checkout shows its identical repeats as one entry with their
// count, its callbacks beyond the checkout's bounds as one entry without
// bodies, and pages the rest 50 entries at a time. Before, it rendered
// every raw body (12–97 MB for a flooded checkout), unpaged.
func TestCheckoutPagePagesItsTimeline(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	c, _, err := r.db.RegisterCheckout(ctx, store.NewCheckout{MerchantID: r.merchant.ID, Provider: store.ProviderPayUnit,
		Reference: "Pu-FLOOD", Amount: "10", Currency: "XAF", FirstCheckAt: r.clock.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 400 {
		body := `{"transaction_id":"Pu-FLOOD"}`
		if i%2 == 1 {
			body = fmt.Sprintf(`{"transaction_id":"Pu-FLOOD","n":%d}`, i) // distinct
		}
		if _, err := r.db.RecordNotification(ctx, store.Notification{MerchantID: r.merchant.ID, Provider: store.ProviderPayUnit,
			TransactionID: "Pu-FLOOD", Status: "PENDING", Body: []byte(body)}); err != nil {
			t.Fatal(err)
		}
		r.clock.Advance(time.Millisecond)
	}
	b := r.browser("192.0.2.1:1000")
	b.mustSignIn(r.merchant.APIKey)
	first := b.get("/console/checkouts/" + c.ID)
	if n := strings.Count(first, `class="entry `); n != 50 {
		t.Fatalf("first page shows %d entries, want 50", n)
	}
	if !strings.Contains(first, `data-repeats="200"`) || !strings.Contains(first, `id="timeline-next"`) ||
		strings.Contains(first, `id="timeline-prev"`) {
		t.Fatalf("first page lacks the folded repeats (×200) or the link to the next page:\n%s", first)
	}
	last := b.get("/console/checkouts/" + c.ID + "?page=3")
	if !strings.Contains(last, "Callbacks beyond this checkout") || !strings.Contains(last, `data-repeats="101"`) ||
		strings.Contains(last, `id="timeline-next"`) || !strings.Contains(last, `id="timeline-prev"`) {
		t.Fatalf("last page lacks the overflow entry (×101: the 200 distinct less the 99 kept) or has the wrong links:\n%s", last)
	}
	if n := strings.Count(first, `class="entry `) + strings.Count(b.get("/console/checkouts/"+c.ID+"?page=2"), `class="entry `) +
		strings.Count(last, `class="entry `); n != 102 {
		t.Fatalf("%d entries over the pages; want 102: registered, 100 callbacks kept, 1 overflow", n)
	}
}
