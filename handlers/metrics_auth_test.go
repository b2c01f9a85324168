package handlers

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// TestMetricsToken: with a metrics token set, /metrics answers 401 (with
// a Bearer challenge) unless the request carries it; without one it is open.
func TestMetricsToken(t *testing.T) {
	t.Parallel()
	const token = "metrics-token-0123456789abcdefghijkl"
	h := setup(t, func(c *Config) { c.Metrics, c.MetricsToken = prometheus.NewRegistry(), token })
	for _, tc := range []struct {
		bearer string
		want   int
	}{{"", http.StatusUnauthorized}, {"wrong", http.StatusUnauthorized}, {testAdminToken, http.StatusUnauthorized}, {token, http.StatusOK}} {
		rec := h.request(http.MethodGet, "/metrics", tc.bearer, nil)
		if rec.Code != tc.want {
			t.Errorf("GET /metrics with %q: %d, want %d", tc.bearer, rec.Code, tc.want)
		}
		if tc.want == http.StatusUnauthorized && rec.Header().Get("WWW-Authenticate") != "Bearer" {
			t.Errorf("GET /metrics with %q: no Bearer challenge", tc.bearer)
		}
	}
	open := setup(t, func(c *Config) { c.Metrics = prometheus.NewRegistry() })
	if rec := open.request(http.MethodGet, "/metrics", "", nil); rec.Code != http.StatusOK {
		t.Errorf("GET /metrics without a metrics token configured: %d", rec.Code)
	}
}

// TestMetricsLocalOnlyWithoutToken (issue 22, point 8): with
// MetricsLocalOnly (the wiring sets it) and no metrics token, /metrics
// answers a client connecting from loopback and refuses any other with a
// 403 problem, whatever X-Forwarded-For says; a metrics token opens it to
// a remote client that carries it. Before, /metrics was open to everyone
// by default.
func TestMetricsLocalOnlyWithoutToken(t *testing.T) {
	t.Parallel()
	get := func(h *harness, addr, bearer string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
		req.RemoteAddr = addr
		req.Header.Set("X-Forwarded-For", "127.0.0.1")
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		rec := httptest.NewRecorder()
		h.e.ServeHTTP(rec, req)
		return rec
	}
	local := setup(t, func(c *Config) { c.Metrics, c.MetricsLocalOnly = prometheus.NewRegistry(), true })
	for _, addr := range []string{"127.0.0.1:5000", "[::1]:5000"} {
		if rec := get(local, addr, ""); rec.Code != http.StatusOK {
			t.Errorf("GET /metrics from %s: %d, want 200", addr, rec.Code)
		}
	}
	wantProblem(t, get(local, "203.0.113.9:5000", ""), http.StatusForbidden, "forbidden")

	const token = "metrics-token-0123456789abcdefghijkl"
	withToken := setup(t, func(c *Config) { c.Metrics, c.MetricsLocalOnly, c.MetricsToken = prometheus.NewRegistry(), true, token })
	if rec := get(withToken, "203.0.113.9:5000", token); rec.Code != http.StatusOK {
		t.Errorf("GET /metrics from afar with the token: %d, want 200", rec.Code)
	}
	if rec := get(withToken, "127.0.0.1:5000", ""); rec.Code != http.StatusUnauthorized {
		t.Errorf("GET /metrics from loopback without the token that is set: %d, want 401", rec.Code)
	}
}
