package console

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/paysync/paysync/store"
)

// overviewWindow is the window of the settled-by shares.
const overviewWindow = 24 * time.Hour

// overview handles GET /console/overview.
func (c *Console) overview(e echo.Context) error {
	o, err := c.cfg.Store.Overview(e.Request().Context(), viewerOf(e).Scope(), overviewWindow)
	if err != nil {
		return c.fail(e, err)
	}
	return c.render(e, http.StatusOK, "overview.html", overviewView(o))
}

// checkoutsView is the list page's data.
type checkoutsView struct {
	Filter    store.ConsoleFilter
	Checkouts []store.Checkout
	Next      string // the next page's URL, "" on the last page
	States    []store.State
}

var allStates = []store.State{store.StatePending, store.StateActionRequired, store.StateSucceeded,
	store.StateFailed, store.StateCancelled, store.StateExpired}

// checkouts handles GET /console/checkouts?q=&state=&provider=&merchant=&anomaly=&cursor=.
func (c *Console) checkouts(e echo.Context) error {
	f := store.ConsoleFilter{Q: e.QueryParam("q"), State: store.State(e.QueryParam("state")),
		Provider: e.QueryParam("provider"), MerchantID: e.QueryParam("merchant"), Anomaly: e.QueryParam("anomaly"),
		Cursor: e.QueryParam("cursor"), Limit: 50}
	if f.State != "" && !f.State.Valid() {
		f.State = ""
	}
	list, next, err := c.cfg.Store.SearchCheckouts(e.Request().Context(), viewerOf(e).Scope(), f)
	if err != nil {
		return c.fail(e, err)
	}
	v := checkoutsView{Filter: f, Checkouts: list, States: allStates}
	if next != "" {
		q := e.QueryParams()
		q.Set("cursor", next)
		v.Next = "/console/checkouts?" + q.Encode()
	}
	return c.render(e, http.StatusOK, "checkouts.html", v)
}

// checkout handles GET /console/checkouts/:id: one checkout and its timeline.
func (c *Console) checkout(e echo.Context) error {
	t, err := c.cfg.Store.CheckoutTimeline(e.Request().Context(), viewerOf(e).Scope(), e.Param("id"))
	if err != nil {
		return c.fail(e, err)
	}
	v := timelineView(t, c.takeFlash(e))
	v.Demo = c.cfg.Demo != nil
	page, _ := strconv.Atoi(e.QueryParam("page"))
	v.paginate(page, "/console/checkouts/"+url.PathEscape(t.Checkout.ID))
	return c.render(e, http.StatusOK, "checkout.html", v)
}

// deliveriesView is the deliveries page's data.
type deliveriesView struct {
	Deliveries []store.Delivery
	Since      string // the replay form's default: 24 hours ago
	Replayed   string // how many the last replay rescheduled
	Disabled   []store.Merchant
}

// deliveries handles GET /console/deliveries: failed and held deliveries.
func (c *Console) deliveries(e echo.Context) error {
	ctx := e.Request().Context()
	v := viewerOf(e)
	ds, err := c.cfg.Store.FailedDeliveries(ctx, v.Scope(), 100)
	if err != nil {
		return c.fail(e, err)
	}
	dv := deliveriesView{Deliveries: ds, Replayed: replayedNote(c.takeFlash(e)),
		Since: c.cfg.Now().UTC().Add(-overviewWindow).Format(sinceLayout)}
	seen := map[string]bool{}
	for _, d := range ds {
		if d.Status != store.DeliveryDisabled || seen[d.MerchantID] {
			continue
		}
		seen[d.MerchantID] = true
		m, err := c.cfg.Store.Merchant(ctx, d.MerchantID)
		if err != nil {
			return c.fail(e, err)
		}
		dv.Disabled = append(dv.Disabled, m)
	}
	return c.render(e, http.StatusOK, "deliveries.html", dv)
}

// sinceLayout is the replay form's time field (an HTML datetime-local, UTC).
const sinceLayout = "2006-01-02T15:04"

// checkoutPage is the URL of a checkout's page.
func checkoutPage(id string) string { return "/console/checkouts/" + url.PathEscape(id) }

// replayedNote is the flash's count of replayed deliveries, "" unless it
// is a number.
func replayedNote(note string) string {
	if _, err := strconv.Atoi(note); err != nil {
		return ""
	}
	return note
}
