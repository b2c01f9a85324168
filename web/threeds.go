package web

import (
	"encoding/json"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/paysync/paysync/store"
)

// instructions are the fields of Azotte's redirectInstructions the pages
// use; the store keeps the whole object verbatim.
type instructions struct {
	RedirectURL     string `json:"redirectUrl"`
	HTMLContent     string `json:"htmlContent"`
	ShowHTMLContent bool   `json:"showHtmlContent"`
}

// parseInstructions reads the checkout's redirect instructions, either the
// redirectInstructions object itself or a document wrapping it.
func parseInstructions(ck store.Checkout) instructions {
	var in instructions
	if ck.State != store.StateActionRequired || ck.Action == nil {
		return in
	}
	if json.Unmarshal(ck.Action.Instructions, &in) == nil && (in.RedirectURL != "" || in.HTMLContent != "") {
		return in
	}
	var wrapped struct {
		RedirectInstructions instructions `json:"redirectInstructions"`
	}
	if json.Unmarshal(ck.Action.Instructions, &wrapped) == nil {
		return wrapped.RedirectInstructions
	}
	return instructions{}
}

// showHTML reports whether the provider asked for its htmlContent to be shown.
func (in instructions) showHTML() bool { return in.ShowHTMLContent && in.HTMLContent != "" }

// redirect returns redirectUrl when it is an absolute http(s) URL, else "".
func (in instructions) redirect() string {
	u, err := url.Parse(in.RedirectURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return u.String()
}

// threeDS handles GET /pay/{token}/3ds, the action.redirect_url of a
// checkout in action_required: a 303 to the provider's redirectUrl, or to
// the isolated page showing its htmlContent when showHtmlContent is true.
// A checkout no longer waiting for the buyer goes to the progress page.
func (p *Pages) threeDS(c echo.Context) error {
	ck, err := p.load(c)
	if err != nil {
		return p.fail(c, err)
	}
	if ck.State != store.StateActionRequired {
		return c.Redirect(http.StatusSeeOther, pagePath(ck.Token, "progress"))
	}
	in := parseInstructions(ck)
	switch {
	case in.showHTML():
		return c.Redirect(http.StatusSeeOther, pagePath(ck.Token, "3ds/frame"))
	case in.redirect() != "":
		return c.Redirect(http.StatusSeeOther, in.redirect())
	}
	p.log.Warn("3-D Secure instructions without a usable redirectUrl or htmlContent", "checkout_id", ck.ID)
	t := languageFor(c.Request().Header.Get("Accept-Language"))
	return p.render(c, http.StatusBadGateway, pageMessage, view{T: t, Heading: t.NoStep, Body: t.NoStepBody})
}

// threeDSFrame handles GET /pay/{token}/3ds/frame: the provider's
// htmlContent, served as its own top-level document under providerCSP.
//
// Why a separate URL with a CSP sandbox rather than an <iframe sandbox>:
// the challenge usually auto-submits a form to the bank and ends with the
// bank sending the browser to our return page; inside an iframe that
// return page would load framed (our pages forbid framing) and the buyer
// would be stuck in a box. A top-level document with "Content-Security-
// Policy: sandbox" (no allow-same-origin) runs the provider's scripts and
// forms in an opaque origin: they can't read paysync's pages, storage or
// cookies nor call its endpoints as paysync, while navigations leave the
// sandbox with the document.
func (p *Pages) threeDSFrame(c echo.Context) error {
	ck, err := p.load(c)
	if err != nil {
		return p.fail(c, err)
	}
	in := parseInstructions(ck)
	if !in.showHTML() {
		return c.Redirect(http.StatusSeeOther, pagePath(ck.Token, "3ds"))
	}
	c.Response().Header().Set("Content-Security-Policy", providerCSP)
	return c.HTMLBlob(http.StatusOK, []byte(in.HTMLContent))
}
