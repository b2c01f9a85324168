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
// the gzip negotiation), as ratios in one run: a no-op POST on a bare Echo
// (the floor), the same route behind the service's middleware, and a
// PayUnit callback naming a registered checkout (durable append to the
// inbox included): go test -run '^$' -bench RequestPath ./handlers/.
func BenchmarkRequestPath(b *testing.B) {
	body := `{"transaction_id":"Pu-bench","status":"SUCCESS","amount":10,"currency":"XAF","transaction_amount":10}`
	serve := func(b *testing.B, e *echo.Echo, path string) {
		b.ReportAllocs()
		for b.Loop() {
			req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept-Encoding", "gzip")
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, req)
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
	b.Run("Callback", func(b *testing.B) {
		h := setup(b, quiet, func(c *Config) { c.Inbox = nil }) // the inbox is drained elsewhere in the service
		m, key := h.merchant()
		wantStatus(b, h.checkout(key, "Pu-bench", "10"), http.StatusCreated)
		serve(b, h.e, hookPath(m))
	})
}
