package handlers

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/paysync/paysync/apiview"
	"github.com/paysync/paysync/store"
)

// check claims the due checkout and applies what the provider said.
func (h *harness) check(state store.State, status string) {
	h.t.Helper()
	ctx := context.Background()
	claimed, err := h.db.ClaimDue(ctx, 10, time.Minute)
	if err != nil || len(claimed) != 1 {
		h.t.Fatalf("claim = %d, %v", len(claimed), err)
	}
	c := claimed[0]
	next := h.clock.Now().Add(time.Minute)
	if _, err := h.db.Apply(ctx, store.Observation{CheckoutID: c.ID, Version: c.Version, WakeSeq: c.WakeSeq, ClaimSeq: c.ClaimSeq,
		Checked: true, State: state, ProviderStatus: status, Amount: "10", Currency: "XAF", ResolvedBy: store.SourcePoll,
		Attempts: c.Attempts + 1, NextCheckAt: &next}); err != nil {
		h.t.Fatal(err)
	}
	h.clock.Add(time.Minute)
}

// TestEventsFoldAndPurge: repeated identical status checks show as one
// event with a count and last_at; once the retention sweep purged a
// settled checkout's history, the checkout and its events say when.
func TestEventsFoldAndPurge(t *testing.T) {
	h := setup(t)
	_, key := h.merchant()
	id := decode(t, h.checkout(key, "Pu-1", "10"))["id"].(string)
	h.clock.Add(2 * time.Minute) // past the poll grace
	h.check(store.StatePending, "PENDING")
	last := h.clock.Now()
	h.check(store.StatePending, "PENDING")
	h.check(store.StatePending, "PENDING")

	events := decode(t, h.request(http.MethodGet, "/v1/checkouts/"+id+"/events", key, nil))
	data := events["data"].([]any)
	if len(data) != 2 || events["history_purged_at"] != nil {
		t.Fatalf("events %v", events)
	}
	folded := data[1].(map[string]any)
	if folded["type"] != "status_checked" || folded["count"] != 3.0 || folded["last_at"] != last.Add(time.Minute).Format(apiview.TimeLayout) {
		t.Fatalf("folded event %v, want count 3, last_at %s", folded, last.Add(time.Minute).Format(apiview.TimeLayout))
	}
	if first := data[0].(map[string]any); first["count"] != 1.0 || first["last_at"] != nil {
		t.Fatalf("single event %v, want count 1, last_at null", first)
	}

	h.check(store.StateSucceeded, "SUCCESS")
	h.clock.Add(2160*time.Hour + time.Hour)
	if _, err := h.db.Sweep(context.Background(), store.Retention{Settled: 2160 * time.Hour}); err != nil {
		t.Fatal(err)
	}
	purgedAt := h.clock.Now().Format(apiview.TimeLayout)
	ck := decode(t, h.request(http.MethodGet, "/v1/checkouts/"+id, key, nil))
	if ck["state"] != "succeeded" || ck["resolved_by"] != "poll" || ck["history_purged_at"] != purgedAt {
		t.Fatalf("checkout after purge %v, want succeeded by poll, history_purged_at %s", ck, purgedAt)
	}
	events = decode(t, h.request(http.MethodGet, "/v1/checkouts/"+id+"/events", key, nil))
	if len(events["data"].([]any)) != 0 || events["history_purged_at"] != purgedAt {
		t.Fatalf("events after purge %v, want none and history_purged_at %s", events, purgedAt)
	}
}
