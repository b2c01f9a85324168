package handlers

import (
	"net/http"
	"regexp"
	"testing"
	"time"
)

// millis is the one way timestamps are written: UTC, three decimals.
var millis = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)

// Every timestamp of the checkout object and of its events has the
// store's millisecond precision, written the same way, whether the object
// comes from the registration's answer or from a later read, even with a
// clock that has nanoseconds.
func TestTimestampsHaveOnePrecision(t *testing.T) {
	h := setup(t)
	h.clock.Add(123456789 * time.Nanosecond)
	m, key := h.merchant()
	created := h.checkout(key, "order-ms", "10")
	wantStatus(t, created, http.StatusCreated)
	c := decode(t, created)
	id := c["id"].(string)
	h.clock.Add(time.Second + 987654321*time.Nanosecond)
	wantStatus(t, h.request(http.MethodPost, hookPath(m), "", `{"transaction_id":"order-ms"}`), http.StatusOK)
	read := decode(t, h.request(http.MethodGet, "/v1/checkouts/"+id, key, nil))
	for _, name := range []string{"created_at", "updated_at", "next_check_at"} {
		if v, _ := c[name].(string); !millis.MatchString(v) {
			t.Errorf("registration answer: %s = %q", name, c[name])
		}
	}
	if c["created_at"] != read["created_at"] || c["created_at"] != "2025-03-01T12:00:00.123Z" {
		t.Errorf("created_at %v at registration, %v on read", c["created_at"], read["created_at"])
	}
	for _, name := range []string{"created_at", "updated_at", "next_check_at", "callback_received_at"} {
		if v, _ := read[name].(string); !millis.MatchString(v) {
			t.Errorf("read: %s = %q", name, read[name])
		}
	}
	events := decode(t, h.request(http.MethodGet, "/v1/checkouts/"+id+"/events", key, nil))["data"].([]any)
	if len(events) == 0 {
		t.Fatal("no events")
	}
	for _, e := range events {
		if at, _ := e.(map[string]any)["at"].(string); !millis.MatchString(at) {
			t.Errorf("event at %q", at)
		}
	}
}
