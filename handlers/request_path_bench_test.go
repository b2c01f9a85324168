package handlers

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

// BenchmarkRequestPath measures what every request pays before and after
// its handler (request id, the request log line in JSON, panic recovery,
// the gzip negotiation; the client accepts gzip, as Go's does), as ratios
// in one run: a no-op POST on a bare Echo (the floor), the same route
// behind the service's middleware, elsewhere and under /hooks/ (where
// answers are never worth compressing), and a PayUnit callback naming a
// registered checkout (durable append to the inbox included):
// go test -run '^$' -bench RequestPath ./handlers/.
func BenchmarkRequestPath(b *testing.B) {
	body := `{"transaction_id":"Pu-bench","status":"SUCCESS","amount":10,"currency":"XAF","transaction_amount":10}`
	serve := func(b *testing.B, e *echo.Echo, path string) {
		base := httptest.NewRequest(http.MethodPost, path, nil)
		base.Header.Set("Content-Type", "application/json")
		base.Header.Set("Accept-Encoding", "gzip")
		b.ReportAllocs()
		for b.Loop() {
			req := *base // the harness's own cost kept small: no request parsing
			req.Header = base.Header.Clone()
			req.Body = io.NopCloser(strings.NewReader(body))
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, &req)
			if rec.Code != http.StatusOK {
				b.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
		}
	}
	noop := func(c echo.Context) error {
		io.Copy(io.Discard, c.Request().Body)
		return c.JSONBlob(http.StatusOK, []byte(receivedJSON))
	}
	b.Run("BareNoop", func(b *testing.B) {
		e := echo.New()
		e.POST("/bench/noop", noop)
		serve(b, e, "/bench/noop")
	})
	quiet := func(c *Config) { c.Logger = slog.New(slog.NewJSONHandler(io.Discard, nil)) }
	b.Run("MiddlewareNoop", func(b *testing.B) {
		h := setup(b, quiet)
		h.e.POST("/bench/noop", noop)
		serve(b, h.e, "/bench/noop")
	})
	b.Run("HookMiddlewareNoop", func(b *testing.B) { // the same, where callbacks are served
		h := setup(b, quiet)
		h.e.POST("/hooks/bench/noop", noop)
		serve(b, h.e, "/hooks/bench/noop")
	})
	b.Run("Callback", func(b *testing.B) {
		h := setup(b, quiet, func(c *Config) { c.Inbox = nil }) // the inbox is drained elsewhere in the service
		m, key := h.merchant()
		wantStatus(b, h.checkout(key, "Pu-bench", "10"), http.StatusCreated)
		serve(b, h.e, hookPath(m))
	})
}
