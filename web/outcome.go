package web

import (
	"net/url"
	"slices"
	"strings"

	"github.com/paysync/paysync/store"
)

// done reports whether the buyer has nothing more to wait for: a terminal
// verdict, or an expired checkout that paysync no longer polls (a return
// wakes an expired checkout, so it is done again only once that check has
// been applied and polling stopped).
func done(c store.Checkout) bool {
	return c.State.Terminal() || (c.State == store.StateExpired && c.NextCheckAt == nil)
}

// merchantURL is where a done checkout sends the buyer: success_url when
// it succeeded, cancel_url when it failed, was cancelled or expired (the
// merchant's page must read the verified state anyway; an expired
// checkout may still settle later and the webhook will say so). It
// returns "" when that URL is unset, or when its host is no longer one of
// the merchant's return_hosts: hosts are checked again here, at redirect
// time, so the pages are never an open redirect.
func merchantURL(c store.Checkout, m store.Merchant) string {
	raw := c.CancelURL
	if c.State == store.StateSucceeded {
		raw = c.SuccessURL
	}
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return ""
	}
	if !slices.Contains(m.ReturnHosts, strings.ToLower(u.Hostname())) {
		return ""
	}
	return u.String()
}

// outcomeText returns the heading and text of a done checkout's result.
func outcomeText(s store.State, t messages) (heading, body string) {
	switch s {
	case store.StateSucceeded:
		return t.Succeeded, t.SucceededBody
	case store.StateFailed:
		return t.Failed, t.FailedBody
	case store.StateCancelled:
		return t.Cancelled, t.CancelledBody
	}
	return t.Expired, t.ExpiredBody
}
