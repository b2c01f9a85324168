package handlers

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// headKey marks a HEAD request that headAsGet routed as a GET.
const headKey = "paysync.head"

// headAsGet is a Pre middleware giving every GET route its HEAD (RFC 9110
// §9.3.2): a HEAD is routed as the GET of the same path, answered with the
// same status and headers, and its body is discarded. It also adds HEAD to
// the Allow header of 405 and OPTIONS answers wherever GET is allowed.
// restoreHead (the first Use middleware) puts the method back after
// routing, so handlers, logs and the error handler see a HEAD.
func headAsGet(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		res := c.Response()
		w := &methodWriter{ResponseWriter: res.Writer}
		if c.Request().Method == http.MethodHead {
			c.Request().Method = http.MethodGet // in place: the router reads this request
			c.Set(headKey, true)
			w.discard = true
		}
		res.Writer = w
		return next(c)
	}
}

// restoreHead undoes headAsGet's method change once the route is found.
func restoreHead(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if isHead(c) {
			c.Request().Method = http.MethodHead
		}
		return next(c)
	}
}

// isHead reports whether the request is a HEAD.
func isHead(c echo.Context) bool {
	head, _ := c.Get(headKey).(bool)
	return head || c.Request().Method == http.MethodHead
}

// methodWriter drops the body of a HEAD answer and completes the Allow
// header with HEAD next to GET.
type methodWriter struct {
	http.ResponseWriter
	discard bool
}

// WriteHeader adds HEAD to an Allow header that has GET, then writes the header.
func (w *methodWriter) WriteHeader(code int) {
	h := w.Header()
	if allow := h.Get(echo.HeaderAllow); allow != "" {
		h.Set(echo.HeaderAllow, withHead(allow))
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write discards the body of a HEAD answer.
func (w *methodWriter) Write(b []byte) (int, error) {
	if w.discard {
		return len(b), nil
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach Flush and deadlines.
func (w *methodWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Flush sends what was written so far (event streams).
func (w *methodWriter) Flush() { _ = http.NewResponseController(w.ResponseWriter).Flush() }

// withHead returns an Allow list with HEAD after GET when GET is in it.
func withHead(allow string) string {
	var out []string
	hasGet, hasHead := false, false
	for _, m := range strings.Split(allow, ",") {
		m = strings.TrimSpace(m)
		hasGet = hasGet || m == http.MethodGet
		hasHead = hasHead || m == http.MethodHead
		out = append(out, m)
	}
	if !hasGet || hasHead {
		return allow
	}
	return strings.Join(append(out, http.MethodHead), ", ")
}
