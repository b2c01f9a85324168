package handlers

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/paysync/paysync/store"
	"github.com/paysync/paysync/web/sse"
)

// streamCheckout handles GET /v1/checkouts/:id/stream, Server-Sent Events:
// the checkout as it is, then one "checkout" event per change, each with
// id = version and data = the checkout object, and a comment line every
// Heartbeat so proxies keep the connection. Changes faster than the client
// reads are coalesced to the newest version. Last-Event-ID (a version)
// skips what the client has seen; the stream ends after a terminal state
// was sent, when the client leaves, and at shutdown. Reconnecting after
// the terminal event gets 204, which tells EventSource to stop. A merchant
// holding MaxHeldPerMerchant streams and long-polls already gets 429.
func (s *server) streamCheckout(c echo.Context) error {
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
	seen := lastEventID(c.Request().Header.Get("Last-Event-ID"))
	if ck.State.Terminal() && ck.Version <= seen {
		return c.NoContent(http.StatusNoContent)
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "private, no-cache")
	es := sse.Open(c.Response(), deadlineGrace)
	if isHead(c) {
		return nil // the headers a GET would get, and no events
	}
	send := func(ck store.Checkout) (last bool, err error) {
		body, _, err := s.encodeCheckout(ck)
		if err != nil {
			return true, err
		}
		return ck.State.Terminal(), es.Event(strconv.FormatInt(ck.Version, 10), "checkout", string(body))
	}
	if ck.Version > seen {
		if last, err := send(ck); err != nil || last {
			return nil
		}
		seen = ck.Version
	} else if es.Comment("resumed") != nil {
		return nil
	}
	es.Follow(ctx, sub, seen, s.cfg.Heartbeat, send)
	return nil
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
