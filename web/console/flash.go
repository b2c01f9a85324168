package console

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// flashCookie carries what the last action did to the page it redirects
// to, which shows it once ("Sandbox payment started", "3 deliveries will
// be sent again"): read and cleared there, so a reload doesn't show it
// again, and the page's URL stays clean (post, redirect, get).
const flashCookie = "paysync_console_flash"

// flashTo redirects to url (303) with note for its flash line.
func (c *Console) flashTo(e echo.Context, url, note string) error {
	c.setCookie(e, flashCookie, note, time.Minute)
	return e.Redirect(http.StatusSeeOther, url)
}

// takeFlash returns the note a redirect left for this page, and clears
// it; "" when there is none.
func (c *Console) takeFlash(e echo.Context) string {
	ck, err := e.Cookie(flashCookie)
	if err != nil || ck.Value == "" {
		return ""
	}
	c.clearCookie(e, flashCookie)
	return ck.Value
}
