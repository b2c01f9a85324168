package console

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
)

// checkNow handles POST /console/checkouts/:id/check: an immediate
// provider check.
func (c *Console) checkNow(e echo.Context) error {
	ck, err := c.cfg.Store.CheckNow(e.Request().Context(), viewerOf(e).Scope(), e.Param("id"))
	if err != nil {
		return c.fail(e, err)
	}
	c.cfg.Waker.Wake()
	return c.flashTo(e, checkoutPage(ck.ID), "check")
}

// redeliver handles POST /console/deliveries/:id/redeliver; the form's
// "back" field says where to return (the checkout page or the list).
func (c *Console) redeliver(e echo.Context) error {
	d, err := c.cfg.Store.RedeliverInScope(e.Request().Context(), viewerOf(e).Scope(), e.Param("id"))
	if err != nil {
		return c.fail(e, err)
	}
	c.cfg.Webhooks.Wake()
	if e.FormValue("back") == "deliveries" {
		return c.flashTo(e, "/console/deliveries", "1")
	}
	return c.flashTo(e, checkoutPage(d.CheckoutID), "redeliver")
}

// replay handles POST /console/deliveries/replay (since=, UTC): every
// failed delivery since then is tried again.
func (c *Console) replay(e echo.Context) error {
	since, err := time.Parse(sinceLayout, e.FormValue("since"))
	if err != nil {
		return c.message(e, http.StatusBadRequest, "Not understood", "Give the time as YYYY-MM-DDTHH:MM (UTC).")
	}
	n, err := c.cfg.Store.ReplayFailedSince(e.Request().Context(), viewerOf(e).Scope(), since.UTC())
	if err != nil {
		return c.fail(e, err)
	}
	if n > 0 {
		c.cfg.Webhooks.Wake()
	}
	return c.flashTo(e, "/console/deliveries", strconv.Itoa(n))
}

// enableWebhook handles POST /console/merchants/:id/webhook/enable: the
// endpoint disabled after a 410 takes deliveries again.
func (c *Console) enableWebhook(e echo.Context) error {
	id := e.Param("id")
	if !viewerOf(e).Scope().Allows(id) {
		return c.notFound(e)
	}
	n, err := c.cfg.Store.EnableWebhook(e.Request().Context(), id)
	if err != nil {
		return c.fail(e, err)
	}
	c.cfg.Webhooks.Wake()
	return c.flashTo(e, "/console/deliveries", strconv.FormatInt(n, 10))
}
