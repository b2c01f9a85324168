package handlers

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"
)

// benchGet serves GET path with the merchant's key through e, b.N times.
func benchGet(b *testing.B, e *echo.Echo, path, key string) {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
}

// BenchmarkGetCheckout compares a status read served from the cache
// (ReadsFromFeed) with one read from SQLite and encoded each time, and
// with a no-op route behind the same middleware (the ceiling): go test -bench GetCheckout ./handlers/.
func BenchmarkGetCheckout(b *testing.B) {
	for _, bc := range []struct {
		name  string
		reads Reads
	}{{"Uncached", ReadsUncached}, {"Cached", ReadsFromFeed}, {"NoopRoute", ReadsUncached}} {
		b.Run(bc.name, func(b *testing.B) {
			h := setup(b, func(c *Config) { c.Reads = bc.reads })
			_, key := h.merchant()
			id := decode(h.t, h.checkout(key, "Pu-bench", "10"))["id"].(string)
			path := "/v1/checkouts/" + id
			if bc.name == "NoopRoute" {
				h.e.GET("/bench/noop", func(c echo.Context) error { return c.NoContent(http.StatusOK) })
				path = "/bench/noop"
			}
			benchGet(b, h.e, path, key)
		})
	}
}
