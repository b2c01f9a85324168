package handlers

import (
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// logRequests writes one structured line per request: method, path (no
// query; tokens in the path redacted), status, latency_ms (milliseconds,
// as every latency paysync logs), request id and bytes
// written. It never logs headers or bodies. Errors are rendered first, so
// the logged status is the one sent.
func (s *server) logRequests(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		if err := next(c); err != nil {
			c.Error(err)
		}
		res := c.Response()
		level := slog.LevelInfo
		if res.Status >= 500 {
			level = slog.LevelError
		}
		s.log.LogAttrs(c.Request().Context(), level, "request",
			slog.String("method", c.Request().Method),
			slog.String("path", logPath(c)),
			slog.Int("status", res.Status),
			slog.Float64("latency_ms", float64(time.Since(start).Microseconds())/1000),
			slog.String("request_id", res.Header().Get(echo.HeaderXRequestID)),
			slog.Int64("bytes", res.Size),
		)
		return nil
	}
}

// logPath is the request path without query; on callback routes, hosted
// pages and every route with a :token parameter (the console's one-time
// sign-in link) it is the route pattern, since the token in the path is a
// credential.
func logPath(c echo.Context) string {
	p := c.Request().URL.Path
	if c.Path() == "" {
		return p
	}
	if strings.HasPrefix(p, "/hooks/") || strings.HasPrefix(p, "/pay/") || slices.Contains(c.ParamNames(), "token") {
		return c.Path()
	}
	return p
}

// recoverPanics turns a panic in a handler into a logged internal error.
func (s *server) recoverPanics() echo.MiddlewareFunc {
	return middleware.RecoverWithConfig(middleware.RecoverConfig{
		DisableStackAll: true, // only the panicking goroutine
		LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
			s.log.Error("panic", "path", logPath(c), "err", err, "stack", string(stack))
			return fmt.Errorf("recovered: %w", err)
		},
	})
}
