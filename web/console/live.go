package console

import (
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/paysync/paysync/store"
	"github.com/paysync/paysync/web/sse"
)

// liveWriteGrace is how long each write of the live stream has to reach
// the client.
const liveWriteGrace = 30 * time.Second

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
	s := sse.Open(e.Response(), liveWriteGrace)
	version := func(v int64) error { return s.Event("", "version", strconv.FormatInt(v, 10)) }
	if version(ck.Version) != nil {
		return nil
	}
	s.Follow(ctx, sub, ck.Version, c.cfg.Heartbeat, func(next store.Checkout) (bool, error) {
		return false, version(next.Version)
	})
	return nil
}
