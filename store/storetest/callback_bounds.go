package storetest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/paysync/paysync/store"
)

// testCallbacksBoundedPerCheckout (issue 22, point 5): callbacks naming a
// registered checkout no longer grow its raw callbacks without bound: 500
// identical repeats are one row counting 500 (one callback event), and
// beyond the checkout's bounds (3 callbacks, 1000 bytes here) distinct
// callbacks fold into one overflow row without a body, counted; each
// still marks and wakes the checkout. Before, each was a row and an event:
// six clients for 8 s grew the database by 85–212 MB.
func testCallbacksBoundedPerCheckout(t *testing.T, r *rig) {
	ctx := context.Background()
	db, err := store.New(r.backend, store.Options{MasterKey: masterKey, Now: r.clock.Now,
		Callbacks: store.CallbackLimits{PerCheckout: 3, PerCheckoutBytes: 1000}})
	if err != nil {
		t.Fatal(err)
	}
	c := r.register("flooded", r.clock.Now().Add(time.Hour))
	record := func(n store.Notification) {
		t.Helper()
		rec, err := db.RecordNotification(ctx, n)
		if err != nil || rec.CheckoutID != c.ID || !rec.Woke {
			t.Fatalf("record = %+v, %v; want matched and woken", rec, err)
		}
	}
	same := r.payunitCallback("flooded")
	for range 500 {
		record(same)
		r.clock.Advance(time.Millisecond)
	}
	tl, err := db.CheckoutTimeline(ctx, store.OperatorScope(), c.ID)
	if err != nil || len(tl.Notifications) != 1 || tl.Notifications[0].Repeats != 500 || tl.Notifications[0].LastReceivedAt == nil {
		t.Fatalf("after 500 identical callbacks: %+v, %v; want one row counting 500", tl.Notifications, err)
	}
	if n := countEvents(tl.Events, store.EventCallbackReceived); n != 1 {
		t.Fatalf("%d callback events for 500 identical callbacks, want 1", n)
	}
	for i := range 50 {
		n := r.payunitCallback("flooded")
		n.Body = []byte(fmt.Sprintf(`{"transaction_id":"flooded","n":%d,"pad":%q}`, i, strings.Repeat("x", 200)))
		record(n)
	}
	tl, err = db.CheckoutTimeline(ctx, store.OperatorScope(), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(tl.Notifications) != 4 {
		t.Fatalf("%d rows kept after 50 distinct callbacks; want the bound (3) and one overflow row", len(tl.Notifications))
	}
	over := tl.Notifications[3]
	if !over.Overflow || len(over.Body) != 0 || over.Repeats != 48 {
		t.Fatalf("overflow row = %+v; want no body, counting the 48 beyond the bound", over)
	}
	if n := countEvents(tl.Events, store.EventCallbackReceived); n != 4 {
		t.Fatalf("%d callback events, want one per row kept (4)", n)
	}
}

// countEvents is how many of evs are of the type typ.
func countEvents(evs []store.Event, typ string) int {
	n := 0
	for _, e := range evs {
		if e.Type == typ {
			n++
		}
	}
	return n
}
