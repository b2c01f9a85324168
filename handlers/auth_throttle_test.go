package handlers

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestAPIKeyGuessingIsThrottled (issue 22, point 7): 20 wrong API keys
// from one address within a minute, and the next request from there is
// refused with a 429 problem (Retry-After) even with the right key, until
// the minute ends; another address is not held back, and neither are
// requests without a key. Before, /v1 took ~455 wrong keys a second.
func TestAPIKeyGuessingIsThrottled(t *testing.T) {
	t.Parallel()
	h := setup(t)
	_, key := h.merchant()
	from := func(addr, bearer string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, "/v1/checkouts", nil)
		req.RemoteAddr = addr
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		rec := httptest.NewRecorder()
		h.e.ServeHTTP(rec, req)
		return rec
	}
	for i := range 20 {
		wantStatus(t, from("203.0.113.7:4000", fmt.Sprintf("psk_guess%d", i)), http.StatusUnauthorized)
	}
	rec := from("203.0.113.7:4001", key)
	wantProblem(t, rec, http.StatusTooManyRequests, "too-many-requests")
	if rec.Header().Get("Retry-After") == "" {
		t.Fatal("429 without Retry-After")
	}
	wantStatus(t, from("192.0.2.50:4000", key), http.StatusOK)
	h.clock.Add(time.Minute)
	wantStatus(t, from("203.0.113.7:4002", key), http.StatusOK)
}
