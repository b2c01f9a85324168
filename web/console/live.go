package console

import (
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// live handles GET /console/checkouts/:id/live, Server-Sent Events from
// the store's change feed: one "version" event now and one per committed
// change of the checkout (coalesced to the newest), a comment every
// Heartbeat. The page's script reloads the timeline on each. It ends when
// the client leaves or at shutdown.
func (c *Console) live(e echo.Context) error {
	ctx := e.Request().Context()
	id := e.Param("id")
	sub := c.cfg.Changes.Subscribe(id) // before the read: nothing falls between them
	defer sub.Close()
	ck, err := c.cfg.Store.ScopedCheckout(ctx, viewerOf(e).Scope(), id)
	if err != nil {
		return c.fail(e, err)
	}
	w := e.Response()
	w.Header().Set(echo.HeaderContentType, "text/event-stream")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	seen := ck.Version
	if err := sse(w, fmt.Sprintf("event: version\ndata: %d\n\n", seen)); err != nil {
		return nil
	}
	beat := time.NewTicker(c.cfg.Heartbeat)
	defer beat.Stop()
	for {
		select {
		case <-sub.Changed():
			next, ok := sub.Latest()
			if !ok || next.Version <= seen {
				continue
			}
			seen = next.Version
			if sse(w, fmt.Sprintf("event: version\ndata: %d\n\n", seen)) != nil {
				return nil
			}
		case <-beat.C:
			if sse(w, ": heartbeat\n\n") != nil {
				return nil
			}
		case <-ctx.Done():
			return nil
		case <-sub.Done():
			return nil
		}
	}
}

// sse writes one frame and flushes it, with its own write deadline so the
// stream outlives the server's WriteTimeout.
func sse(w *echo.Response, frame string) error {
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Now().Add(30 * time.Second)) // http.ErrNotSupported: no deadline to move
	if _, err := w.Write([]byte(frame)); err != nil {
		return err
	}
	return rc.Flush()
}
