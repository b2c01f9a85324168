package handlers

import (
	"net/http"
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
