package console

import (
	"fmt"
	"net/http"
	"slices"

	"github.com/labstack/echo/v4"
)

// demoPage handles GET /console/demo: the "start a sandbox payment" form,
// in `paysync demo` only, for the operator (a merchant gets the 404 page).
func (c *Console) demoPage(e echo.Context) error {
	if c.cfg.Demo == nil || !viewerOf(e).Operator() { // a merchant can't start one: no form it can't submit
		return c.notFound(e)
	}
	return c.render(e, http.StatusOK, "demo.html", c.cfg.Demo.Scenarios)
}

// demoStart handles POST /console/demo: it starts the chosen sandbox
// payment and shows its checkout.
func (c *Console) demoStart(e echo.Context) error {
	d := c.cfg.Demo
	if d == nil || !viewerOf(e).Operator() {
		return c.notFound(e)
	}
	scenario := e.FormValue("scenario")
	if !slices.Contains(d.Scenarios, scenario) {
		return c.message(e, http.StatusBadRequest, "Not understood", "Pick one of the listed payments.")
	}
	id, err := d.Start(e.Request().Context(), scenario)
	if err != nil {
		return c.fail(e, fmt.Errorf("start demo payment %s: %w", scenario, err))
	}
	return c.flashTo(e, checkoutPage(id), "demo")
}
