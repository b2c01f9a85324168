package handlers

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/paysync/paysync/store"
)

// streamCheckout handles GET /v1/checkouts/:id/stream, Server-Sent Events:
// the checkout as it is, then one "checkout" event per change, each with
// id = version and data = the checkout object, and a comment line every
// Heartbeat so proxies keep the connection. Changes faster than the client
// reads are coalesced to the newest version. Last-Event-ID (a version)
// skips what the client has seen; the stream ends after a terminal state
// was sent, when the client leaves, and at shutdown. Reconnecting after
// the terminal event gets 204, which tells EventSource to stop.
func (s *server) streamCheckout(c echo.Context) error {
	ctx := c.Request().Context()
	sub := s.cfg.Changes.Subscribe(c.Param("id")) // before the read: nothing falls between them
	defer sub.Close()
	ck, err := s.cfg.Store.Checkout(ctx, merchantOf(c).ID, c.Param("id"))
	if err != nil {
		return err
	}
	seen := lastEventID(c.Request().Header.Get("Last-Event-ID"))
	if ck.State.Terminal() && ck.Version <= seen {
		return c.NoContent(http.StatusNoContent)
	}
	w := c.Response()
	h := w.Header()
	h.Set(echo.HeaderContentType, "text/event-stream")
	h.Set(echo.HeaderCacheControl, "private, no-cache")
	h.Set("X-Accel-Buffering", "no") // nginx: don't buffer the stream
	w.WriteHeader(http.StatusOK)
	if isHead(c) {
		return nil // the headers a GET would get, and no events
	}
	es := &eventStream{s: s, w: w}
	if ck.Version > seen {
		if err := es.send(ck); err != nil || ck.State.Terminal() {
			return nil
		}
		seen = ck.Version
	} else if es.comment("resumed") != nil {
		return nil
	}
	beat := time.NewTicker(s.cfg.Heartbeat)
	defer beat.Stop()
	for {
		select {
		case <-sub.Changed():
			next, ok := sub.Latest()
			if !ok || next.Version <= seen {
				continue
			}
			if err := es.send(next); err != nil || next.State.Terminal() {
				return nil
			}
			seen = next.Version
		case <-beat.C:
			if es.comment("heartbeat") != nil {
				return nil
			}
		case <-ctx.Done():
			return nil
		case <-sub.Done():
			return nil // shutting down; the client reconnects with Last-Event-ID
		}
	}
}

// lastEventID parses a Last-Event-ID header as a version; -1 when absent
// or not one of ours.
func lastEventID(v string) int64 {
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || n < 0 {
		return -1
	}
	return n
}

// eventStream writes Server-Sent Events, each flushed at once and given
// deadlineGrace to reach the client: a write deadline per write lets the
// stream outlive the server's WriteTimeout.
type eventStream struct {
	s *server
	w *echo.Response
}

// send writes one "checkout" event.
func (es *eventStream) send(ck store.Checkout) error {
	body, _, err := es.s.encodeCheckout(ck)
	if err != nil {
		return err
	}
	return es.write(fmt.Sprintf("id: %d\nevent: checkout\ndata: %s\n\n", ck.Version, body))
}

// comment writes a comment line, which EventSource ignores.
func (es *eventStream) comment(text string) error {
	return es.write(": " + text + "\n\n")
}

func (es *eventStream) write(frame string) error {
	rc := http.NewResponseController(es.w)
	_ = rc.SetWriteDeadline(time.Now().Add(deadlineGrace)) // http.ErrNotSupported: no deadline to move
	if _, err := es.w.Write([]byte(frame)); err != nil {
		return err
	}
	return rc.Flush()
}
