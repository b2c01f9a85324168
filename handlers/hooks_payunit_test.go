package handlers

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/paysync/paysync/apiview"
	"github.com/paysync/paysync/store"
)

// eventTypes returns the types of a checkout's events, read from the store.
func eventTypes(t *testing.T, h *harness, merchantID, checkoutID string) []string {
	t.Helper()
	events, err := h.db.Events(context.Background(), merchantID, checkoutID)
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, e := range events {
		types = append(types, e.Type+":"+e.ProviderStatus)
	}
	return types
}

func TestPayUnitCallback(t *testing.T) {
	tests := []struct {
		name, contentType, body, query string
	}{
		{"json", "application/json", `{"transaction_id":"Pu-CK-1","checkout_id":"PU_1","status":"SUCCESS"}`, ""},
		{"nested data", "application/json; charset=utf-8", `{"event":"payment","data":{"transaction_id":"Pu-CK-1","status":"FAILED","amount":10}}`, ""},
		{"form", "application/x-www-form-urlencoded", `transaction_id=Pu-CK-1&status=SUCCESS`, ""},
		{"query only", "", ``, "?transaction_id=Pu-CK-1&status=PENDING"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := setup(t)
			m, key := h.merchant()
			c := decode(t, h.checkout(key, "Pu-CK-1", "10"))
			h.clock.Add(5 * time.Second)
			wokenBefore := h.waker.count()

			rec := h.request(http.MethodPost, hookPath(m)+tt.query, "", nil, "Content-Type", tt.contentType)
			if tt.body != "" {
				rec = h.request(http.MethodPost, hookPath(m)+tt.query, "", tt.body, "Content-Type", tt.contentType)
			}
			wantStatus(t, rec, http.StatusOK)
			if strings.TrimSpace(rec.Body.String()) != `{"received":true}` {
				t.Fatalf("body %s", rec.Body)
			}
			if h.waker.count() != wokenBefore+1 {
				t.Fatalf("waker called %d times by the callback, want 1", h.waker.count()-wokenBefore)
			}
			types := eventTypes(t, h, m["id"].(string), c["id"].(string))
			if len(types) != 2 || !strings.HasPrefix(types[1], store.EventCallbackReceived+":") {
				t.Fatalf("events %v", types)
			}
			got := decode(t, h.request(http.MethodGet, "/v1/checkouts/"+c["id"].(string), key, nil))
			now := h.clock.Now().Format(apiview.TimeLayout)
			if got["callback_received_at"] != now || got["next_check_at"] != now || got["state"] != "pending" {
				t.Fatalf("after callback: %v (a callback must never settle)", got)
			}
		})
	}
}

func TestCallbackBeforeRegistration(t *testing.T) {
	h := setup(t)
	m, key := h.merchant()
	rec := h.request(http.MethodPost, hookPath(m), "", `{"transaction_id":"Pu-early","status":"SUCCESS"}`)
	wantStatus(t, rec, http.StatusOK)
	if h.waker.count() != 0 {
		t.Fatalf("woken %d times for an unmatched callback", h.waker.count())
	}
	h.clock.Add(3 * time.Second)

	rec = h.checkout(key, "Pu-early", "10")
	wantStatus(t, rec, http.StatusCreated)
	c := decode(t, rec)
	if now := h.clock.Now().Format(apiview.TimeLayout); c["next_check_at"] != now || c["callback_received_at"] == nil || c["state"] != "pending" {
		t.Fatalf("checkout %v: want due now (%s) with the early callback attached", c, now)
	}
	if h.waker.count() != 1 {
		t.Fatalf("waker called %d times, want 1", h.waker.count())
	}
	types := eventTypes(t, h, m["id"].(string), c["id"].(string))
	if len(types) != 2 || types[1] != "callback_received:SUCCESS" {
		t.Fatalf("events %v", types)
	}
}

func TestCallbackErrors(t *testing.T) {
	h := setup(t)
	m, _ := h.merchant()
	path := hookPath(m)

	t.Run("unknown token", func(t *testing.T) {
		rec := h.request(http.MethodPost, "/hooks/payunit/nope", "", `{"transaction_id":"x"}`)
		wantProblem(t, rec, http.StatusNotFound, "not-found")
	})
	t.Run("oversized", func(t *testing.T) {
		body := `{"transaction_id":"x","pad":"` + string(bytes.Repeat([]byte("a"), 65<<10)) + `"}`
		rec := h.request(http.MethodPost, path, "", body)
		wantProblem(t, rec, http.StatusRequestEntityTooLarge, "payload-too-large")
	})
	t.Run("unparsable", func(t *testing.T) {
		rec := h.request(http.MethodPost, path, "", `{"transaction_id":`)
		wantProblem(t, rec, http.StatusBadRequest, "malformed-request")
	})
	t.Run("bad form", func(t *testing.T) {
		rec := h.request(http.MethodPost, path, "", `transaction_id=%zz`, "Content-Type", "application/x-www-form-urlencoded")
		wantProblem(t, rec, http.StatusBadRequest, "malformed-request")
	})
	t.Run("no identifier", func(t *testing.T) {
		rec := h.request(http.MethodPost, path, "", `{"status":"SUCCESS"}`)
		p := wantProblem(t, rec, http.StatusBadRequest, "malformed-request")
		if d := p["detail"].(string); !strings.Contains(d, "transaction_id") || !strings.Contains(d, "checkout_id") {
			t.Fatalf("detail %q should name the expected fields", d)
		}
	})
	if h.waker.count() != 0 {
		t.Fatalf("woken %d times by rejected callbacks", h.waker.count())
	}
}

// failingStore fails AcceptNotification and panics on Ping.
type failingStore struct{ Store }

func (failingStore) AcceptNotification(context.Context, store.Notification) (store.Accepted, error) {
	return store.Accepted{}, &store.Error{Code: store.EINTERNAL, Message: "disk on fire /var/secret"}
}

func (failingStore) Ping(context.Context) error { panic("ping exploded") }

func TestInternalErrorsAreHidden(t *testing.T) {
	h := setup(t)
	m, _ := h.merchant()
	broken := setup(t, func(c *Config) { c.Store = failingStore{h.db} })

	rec := broken.request(http.MethodPost, hookPath(m), "", `{"transaction_id":"x"}`)
	p := wantProblem(t, rec, http.StatusInternalServerError, "internal")
	if p["detail"] != "internal error" || strings.Contains(rec.Body.String(), "fire") {
		t.Fatalf("internal error leaked: %s", rec.Body)
	}
	if !strings.Contains(broken.logs.String(), "disk on fire") {
		t.Fatalf("real error not logged: %s", broken.logs)
	}

	rec = broken.request(http.MethodGet, "/readyz", "", nil)
	wantProblem(t, rec, http.StatusInternalServerError, "internal")
	if !strings.Contains(broken.logs.String(), "ping exploded") {
		t.Fatalf("panic not logged: %s", broken.logs)
	}
}
