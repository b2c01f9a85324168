package web

import (
	"bytes"
	"io"
	"net/http"
	"regexp"

	"github.com/labstack/echo/v4"

	"github.com/paysync/paysync/store"
)

// basePath is where Register's group must be mounted.
const basePath = "/pay"

// returnBodyLimit bounds the form body a challenge server may POST back to
// the return page; the body is untrusted and ignored.
const returnBodyLimit = 16 << 10

// tokenPattern matches the store's checkout tokens (base64url); anything
// else is answered like an unknown token without asking the database.
var tokenPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{16,128}$`)

// view is what the templates render.
type view struct {
	T           messages
	Heading     string
	Body        string
	Outcome     string // result pages: the state, for styling
	StatusURL   string // progress page: the JSON its script polls
	ProgressURL string // progress page: the "check again" link
	ThreeDSURL  string // progress page while action_required
	Refresh     int    // seconds between reloads without JavaScript; 0: none
	PollMillis  int    // milliseconds between polls with JavaScript
}

func pagePath(token, page string) string { return basePath + "/" + token + "/" + page }

// load reads the checkout of the request's token.
func (p *Pages) load(c echo.Context) (store.Checkout, error) {
	token := c.Param("token")
	if !tokenPattern.MatchString(token) {
		return store.Checkout{}, store.Errorf(store.ENOTFOUND, "checkout not found")
	}
	return p.cfg.Store.CheckoutByToken(c.Request().Context(), token)
}

// browserReturn handles GET and POST /pay/{token}/return: it records the
// return (at most once per ReturnMinGap), wakes the poller when it did,
// and sends the browser on with 303 — to the shop when the checkout is
// already done, else to the progress page, so that a reload repeats
// neither the POST nor the return.
func (p *Pages) browserReturn(c echo.Context) error {
	n, _ := io.Copy(io.Discard, io.LimitReader(c.Request().Body, returnBodyLimit+1))
	if n > returnBodyLimit {
		t := languageFor(c.Request().Header.Get("Accept-Language"))
		return p.render(c, http.StatusRequestEntityTooLarge, pageMessage, view{T: t, Heading: t.TooLarge, Body: t.TooLargeBody})
	}
	token := c.Param("token")
	if !tokenPattern.MatchString(token) {
		return p.notFound(c)
	}
	ck, recorded, err := p.cfg.Store.BrowserReturned(c.Request().Context(), token, p.cfg.ReturnMinGap)
	if err != nil {
		return p.fail(c, err)
	}
	if recorded {
		p.cfg.Waker.Wake()
	}
	if done(ck) {
		if next := p.merchantURL(c, ck); next != "" {
			return c.Redirect(http.StatusSeeOther, next)
		}
	}
	return c.Redirect(http.StatusSeeOther, pagePath(ck.Token, "progress"))
}

// progress handles GET /pay/{token}/progress: the waiting page while the
// verdict is pending (it reloads itself without JavaScript and polls the
// status JSON with it), then a 303 to the shop, or the result page when
// the shop gave no URL for this outcome. It never asks for a check.
func (p *Pages) progress(c echo.Context) error {
	ck, err := p.load(c)
	if err != nil {
		return p.fail(c, err)
	}
	t := languageFor(c.Request().Header.Get("Accept-Language"))
	if done(ck) {
		if next := p.merchantURL(c, ck); next != "" {
			return c.Redirect(http.StatusSeeOther, next)
		}
		heading, body := outcomeText(ck.State, t)
		return p.render(c, http.StatusOK, pageResult, view{T: t, Heading: heading, Body: body, Outcome: string(ck.State)})
	}
	v := view{T: t, Heading: t.Checking, Body: t.CheckingBody,
		StatusURL: pagePath(ck.Token, "status"), ProgressURL: pagePath(ck.Token, "progress"),
		Refresh: int(p.cfg.Refresh.Seconds()), PollMillis: int(p.cfg.Refresh.Milliseconds() * 2 / 3)}
	if v.Refresh < 1 {
		v.Refresh = 1
	}
	if ck.State == store.StateActionRequired {
		v.ThreeDSURL = pagePath(ck.Token, "3ds")
	}
	return p.render(c, http.StatusOK, pageProgress, v)
}

// statusJSON is the body of GET /pay/{token}/status: nothing a buyer
// shouldn't see (no ids, amounts or merchant data).
type statusJSON struct {
	State    store.State `json:"state"`
	Terminal bool        `json:"terminal"` // a final provider verdict
	Done     bool        `json:"done"`     // nothing more to wait for (terminal, or expired and no longer polled)
	NextURL  *string     `json:"next_url"` // where to go when done: the shop, or the result page
}

// status handles GET /pay/{token}/status.
func (p *Pages) status(c echo.Context) error {
	ck, err := p.load(c)
	if err != nil {
		return p.fail(c, err)
	}
	out := statusJSON{State: ck.State, Terminal: ck.State.Terminal(), Done: done(ck)}
	if out.Done {
		next := p.merchantURL(c, ck)
		if next == "" {
			next = pagePath(ck.Token, "progress")
		}
		out.NextURL = &next
	}
	return c.JSON(http.StatusOK, out)
}

// merchantURL returns where the done checkout sends the buyer, or "".
func (p *Pages) merchantURL(c echo.Context, ck store.Checkout) string {
	m, err := p.cfg.Store.Merchant(c.Request().Context(), ck.MerchantID)
	if err != nil {
		p.log.Error("read merchant for a hosted page", "err", err)
		return ""
	}
	return merchantURL(ck, m)
}

// notFound is the page for every unknown token and path.
func (p *Pages) notFound(c echo.Context) error {
	t := languageFor(c.Request().Header.Get("Accept-Language"))
	return p.render(c, http.StatusNotFound, pageMessage, view{T: t, Heading: t.NotFound, Body: t.NotFoundBody})
}

// fail renders err: the 404 page for ENOTFOUND, else a generic error page
// (the details go to the log only).
func (p *Pages) fail(c echo.Context, err error) error {
	if store.ErrorCode(err) == store.ENOTFOUND {
		return p.notFound(c)
	}
	p.log.Error("hosted page", "err", err)
	t := languageFor(c.Request().Header.Get("Accept-Language"))
	return p.render(c, http.StatusInternalServerError, pageMessage, view{T: t, Heading: t.Error, Body: t.ErrorBody})
}

// render executes a page into a buffer first, so a template error becomes
// a clean 500 rather than half a page.
func (p *Pages) render(c echo.Context, status int, page string, v view) error {
	var buf bytes.Buffer
	if err := p.pages[page].ExecuteTemplate(&buf, "layout", v); err != nil {
		p.log.Error("render hosted page", "page", page, "err", err)
		return c.String(http.StatusInternalServerError, "internal error")
	}
	c.Response().Header().Add("Vary", "Accept-Language")
	return c.HTMLBlob(status, buf.Bytes())
}
