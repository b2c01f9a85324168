package handlers

import (
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// gzipMinLength is the smallest body worth compressing.
const gzipMinLength = 1024

// compress gzips responses for clients that accept it, except event
// streams (each event must leave at once, not wait in a compressor; proxies
// buffer compressed streams) and /metrics (promhttp negotiates its own
// compression). A long-poll writes its one answer at the end, so it is
// compressed like any other response.
func compress() echo.MiddlewareFunc {
	return middleware.GzipWithConfig(middleware.GzipConfig{
		MinLength: gzipMinLength,
		Skipper: func(c echo.Context) bool {
			p := c.Request().URL.Path
			return strings.HasSuffix(p, "/stream") || p == "/metrics"
		},
	})
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
