package handlers

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/klauspost/compress/gzhttp"
	"github.com/labstack/echo/v4"
)

// gzipMinLength is the smallest body worth compressing.
const gzipMinLength = 1024

// compress gzips responses for clients that accept it, except event
// streams (each event must leave at once, not wait in a compressor; proxies
// buffer compressed streams) and /metrics (promhttp negotiates its own
// compression) and provider callbacks under /hooks/ (their answer is the
// 17-byte acknowledgement or a short problem, never gzipMinLength: the
// wrapper's per-request writer and header copy were a third of the
// middleware's cost of a callback sent by a client that accepts gzip, as
// Go's does; BenchmarkRequestPath). A long-poll writes its one answer at
// the end, so it is compressed like any other response.
//
// It is klauspost/compress's gzhttp rather than Echo's Gzip middleware:
// gzhttp holds the first bytes and starts a compressor only once an answer
// reaches gzipMinLength, where Echo's resets a pooled compressor (hundreds
// of bytes of state) on every request; that reset was 5% of the service's
// CPU under callback load, for answers of 17 bytes.
func compress() echo.MiddlewareFunc {
	wrap, err := gzhttp.NewWrapper(gzhttp.MinSize(gzipMinLength), gzhttp.ExceptContentTypes([]string{"text/event-stream"}))
	if err != nil {
		panic(fmt.Sprintf("gzhttp options: %v", err)) // constant options: a programming error
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			p := c.Request().URL.Path
			if strings.HasSuffix(p, "/stream") || p == "/metrics" || strings.HasPrefix(p, "/hooks/") || !strings.Contains(c.Request().Header.Get(echo.HeaderAcceptEncoding), "gzip") {
				return next(c)
			}
			orig := c.Response().Writer
			defer func() { c.Response().Writer = orig }() // also when a panic unwinds to the recovery middleware
			var err error
			wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				c.Response().Writer = w
				c.SetRequest(r)
				err = next(c)
				if err != nil {
					c.Error(err) // rendered inside, so the compressor sees the error's body
					err = nil
				}
			})).ServeHTTP(orig, c.Request())
			return err
		}
	}
}

// privateCache sets Cache-Control on every answer of an authenticated
// route, errors included: what a credential unlocks is for that client's
// cache only and must be revalidated (the ETag makes that cheap).
func privateCache(value string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			c.Response().Header().Set(echo.HeaderCacheControl, value)
			return next(c)
		}
	}
}
