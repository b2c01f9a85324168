package handlers

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/paysync/paysync/store"
)

// With an inbox, a callback naming a registered checkout is acknowledged
// once appended there: nothing is logged, and the poller isn't woken,
// until the drain; the drain then does what the synchronous path does. A
// callback naming no registered checkout is still recorded before its
// answer, within the unmatched bounds.
func TestPayUnitCallbackThroughInbox(t *testing.T) {
	inbox := &fakeWaker{}
	h := setup(t, func(c *Config) { c.Inbox = inbox; c.Reads = ReadsFromFeed })
	m, key := h.merchant()
	c := decode(t, h.checkout(key, "Pu-INBOX-1", "10"))
	merchantID, checkoutID := m["id"].(string), c["id"].(string)
	wokenBefore := h.waker.count()
	cached := h.request(http.MethodGet, "/v1/checkouts/"+checkoutID, key, nil) // fills the read cache
	wantStatus(t, cached, http.StatusOK)

	rec := h.request(http.MethodPost, hookPath(m), "", `{"transaction_id":"Pu-INBOX-1","status":"SUCCESS"}`)
	wantStatus(t, rec, http.StatusOK)
	if strings.TrimSpace(rec.Body.String()) != `{"received":true}` {
		t.Fatalf("body %s", rec.Body)
	}
	if inbox.count() != 1 || h.waker.count() != wokenBefore {
		t.Fatalf("inbox kicked %d times, poller woken %d times; want 1 and 0", inbox.count(), h.waker.count()-wokenBefore)
	}
	if types := eventTypes(t, h, merchantID, checkoutID); len(types) != 1 {
		t.Fatalf("events before the drain: %v; want only the registration", types)
	}
	d, err := h.db.DrainInbox(context.Background(), 0, 10)
	if err != nil || d.N != 1 || !d.Woke {
		t.Fatalf("drain = %+v, %v", d, err)
	}
	types := eventTypes(t, h, merchantID, checkoutID)
	if len(types) != 2 || types[1] != store.EventCallbackReceived+":SUCCESS" {
		t.Fatalf("events after the drain: %v", types)
	}
	read := h.request(http.MethodGet, "/v1/checkouts/"+checkoutID, key, nil)
	if wantStatus(t, read, http.StatusOK); read.Header().Get("ETag") == cached.Header().Get("ETag") {
		t.Fatalf("the read after the drain is the cached one from before it: %s", read.Body)
	}
	got, err := h.db.Checkout(context.Background(), merchantID, checkoutID)
	if err != nil || got.NextCheckAt == nil || got.NextCheckAt.After(h.clock.Now()) {
		t.Fatalf("checkout after the drain is not due now: %+v, %v", got.NextCheckAt, err)
	}

	early := h.request(http.MethodPost, hookPath(m), "", `{"transaction_id":"Pu-NOT-YET","status":"SUCCESS"}`)
	wantStatus(t, early, http.StatusOK)
	if inbox.count() != 1 {
		t.Fatalf("an early callback went to the inbox (%d kicks)", inbox.count())
	}
	if d, err := h.db.DrainInbox(context.Background(), 0, 10); err != nil || d.N != 0 {
		t.Fatalf("drain after an early callback = %+v, %v; want nothing queued", d, err)
	}
}
