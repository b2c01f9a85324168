package handlers

import (
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// logRequests writes one structured line per request: method, path (no
// query; hook tokens redacted), status, latency, request id and bytes
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
			slog.Duration("latency", time.Since(start)),
			slog.String("request_id", res.Header().Get(echo.HeaderXRequestID)),
			slog.Int64("bytes", res.Size),
		)
		return nil
	}
}

// logPath is the request path without query; on callback routes and hosted
// pages it is the route pattern, since the token in the path is a credential.
func logPath(c echo.Context) string {
	p := c.Request().URL.Path
	if (strings.HasPrefix(p, "/hooks/") || strings.HasPrefix(p, "/pay/")) && c.Path() != "" {
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
