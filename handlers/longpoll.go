package handlers

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/paysync/paysync/store"
)

// maxWait bounds ?wait=; longer waits are shortened to it.
const maxWait = 60 * time.Second

// deadlineGrace is how long past a wait, or after starting a write, the
// connection may take to deliver a response before the server gives up.
const deadlineGrace = 10 * time.Second

// waitQuery is a long-poll's query: how long to hold the request and the
// version the client already has (-1 when it didn't say).
type waitQuery struct {
	wait    time.Duration
	version int64
}

// parseWait reads wait (a Go duration such as 30s or 500ms, or whole
// seconds; 0 to 60s, longer is cut to 60s) and version (an integer ≥ 0).
func parseWait(q url.Values) (waitQuery, error) {
	out := waitQuery{version: -1}
	var errs []fieldError
	raw := q.Get("wait")
	d, err := time.ParseDuration(raw)
	if n, nerr := strconv.Atoi(raw); nerr == nil {
		d, err = time.Duration(n)*time.Second, nil
	}
	if err != nil || d < 0 {
		errs = append(errs, fieldError{"wait", "must be a duration from 0s to 60s, such as 30s"})
	}
	out.wait = min(d, maxWait)
	if v := q.Get("version"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			errs = append(errs, fieldError{"version", "must be a checkout version, an integer from 0"})
		}
		out.version = n
	}
	if len(errs) > 0 {
		return out, &apiError{Status: http.StatusBadRequest, Slug: "malformed-request",
			Detail: "the long-poll parameters are invalid", Fields: errs}
	}
	return out, nil
}

// waitCheckout handles GET /v1/checkouts/:id?wait=: it answers as soon as
// the checkout's version is above the one the client has, or when the
// wait ends, or at shutdown, with the checkout as it then is. The client's
// version is ?version= if given; else, with If-None-Match, the version
// read now if the ETag matches (and no wait at all if it doesn't); else
// the version read now. A terminal checkout answers at once. When the wait
// ends unchanged, a matching If-None-Match gets 304, anything else 200.
func (s *server) waitCheckout(c echo.Context) error {
	q, err := parseWait(c.QueryParams())
	if err != nil {
		return err
	}
	release, err := s.held.take(merchantOf(c).ID)
	if err != nil {
		return err
	}
	defer release()
	ctx := c.Request().Context()
	sub := s.cfg.Changes.Subscribe(c.Param("id")) // before the read: nothing falls between them
	defer sub.Close()
	ck, err := s.cfg.Store.Checkout(ctx, merchantOf(c).ID, c.Param("id"))
	if err != nil {
		return err
	}
	after := ck.Version
	if q.version >= 0 {
		after = q.version
	} else if inm := c.Request().Header.Get("If-None-Match"); inm != "" {
		_, etag, err := s.encodeCheckout(ck)
		if err != nil {
			return err
		}
		if !etagMatches(inm, etag) {
			after = -1 // the client's copy is already stale
		}
	}
	if ck.Version > after || ck.State.Terminal() || q.wait == 0 {
		return s.renderCheckout(c, http.StatusOK, ck)
	}
	holdConnection(c.Response(), time.Now().Add(q.wait+deadlineGrace))
	wctx, cancel := context.WithTimeout(ctx, q.wait)
	defer cancel()
	next, err := sub.Next(wctx, after)
	switch {
	case err == nil:
		ck = next
	case ctx.Err() != nil:
		return nil // the client left: nobody to answer
	case errors.Is(err, store.ErrFeedClosed):
		c.Response().Header().Set("Connection", "close") // shutting down: ask again elsewhere
	}
	return s.renderCheckout(c, http.StatusOK, ck)
}

// holdConnection lets a response outlive the server's WriteTimeout:
// until becomes the connection's write deadline. (The read deadline is no
// concern: net/http clears it once the request is read.) Writers without
// deadlines (test recorders) are left alone.
func holdConnection(w http.ResponseWriter, until time.Time) {
	_ = http.NewResponseController(w).SetWriteDeadline(until) // http.ErrNotSupported: no deadline to move
}
