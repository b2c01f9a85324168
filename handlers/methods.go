package handlers

import (
	"net/http"
	"strconv"
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
		err := next(c)
		if !w.discard {
			return err
		}
		if err != nil {
			c.Error(err) // now, so the answer's length is known before its header leaves
		}
		w.finish()
		return nil
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
// header with HEAD next to GET. For a HEAD it holds the header back until
// the handler is done (or flushes), counting the body it drops, so the
// answer carries the Content-Length the GET's body has (RFC 9110 §9.3.2).
type methodWriter struct {
	http.ResponseWriter
	discard bool
	code    int   // a HEAD's status, held back until finish or Flush; 0: none yet
	sent    bool  // the header has left
	n       int64 // bytes of body dropped
}

// WriteHeader adds HEAD to an Allow header that has GET, then writes the
// header (a HEAD's waits for finish).
func (w *methodWriter) WriteHeader(code int) {
	h := w.Header()
	if allow := h.Get(echo.HeaderAllow); allow != "" {
		h.Set(echo.HeaderAllow, withHead(allow))
	}
	if w.discard {
		w.code = code
		return
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write discards the body of a HEAD answer, counting it.
func (w *methodWriter) Write(b []byte) (int, error) {
	if w.discard {
		if w.code == 0 {
			w.WriteHeader(http.StatusOK)
		}
		w.n += int64(len(b))
		return len(b), nil
	}
	return w.ResponseWriter.Write(b)
}

// send writes a HEAD's held-back header once.
func (w *methodWriter) send() {
	if w.sent || w.code == 0 {
		return
	}
	w.sent = true
	w.ResponseWriter.WriteHeader(w.code)
}

// finish ends a HEAD answer: its header, with the Content-Length of the
// body the GET sends, unless it went out already (a stream flushed it) or
// the status has no body.
func (w *methodWriter) finish() {
	if w.sent {
		return
	}
	h := w.Header()
	if w.code == 0 {
		w.code = http.StatusOK
	}
	stream := strings.HasPrefix(h.Get(echo.HeaderContentType), "text/event-stream")
	if w.code >= 200 && w.code != http.StatusNoContent && w.code != http.StatusNotModified && !stream && h.Get(echo.HeaderContentLength) == "" {
		h.Set(echo.HeaderContentLength, strconv.FormatInt(w.n, 10))
	}
	w.send()
}

// Unwrap lets http.ResponseController reach Flush and deadlines.
func (w *methodWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Flush sends what was written so far (event streams); a HEAD's header
// leaves then, without a length.
func (w *methodWriter) Flush() {
	w.send()
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

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

// serverAllow is the Allow of "OPTIONS *": the methods some route has.
const serverAllow = "GET, HEAD, POST, OPTIONS"

// optionsStar answers "OPTIONS *" (RFC 9110 §9.3.7: the server's
// capabilities, no resource): 204 with Allow. The HTTP server must leave
// it to the handler (http.Server.DisableGeneralOptionsHandler), which
// otherwise answers 200 without Allow.
func optionsStar(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if r := c.Request(); r.Method == http.MethodOptions && r.RequestURI == "*" {
			c.Response().Header().Set(echo.HeaderAllow, serverAllow)
			return c.NoContent(http.StatusNoContent)
		}
		return next(c)
	}
}
