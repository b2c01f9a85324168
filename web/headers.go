package web

import (
	"github.com/labstack/echo/v4"
)

// pageCSP is the Content-Security-Policy of every paysync page: only its
// own stylesheet and script, fetches to its own origin, no forms, no
// framing, no <base>.
const pageCSP = "default-src 'none'; style-src 'self'; script-src 'self'; connect-src 'self'; img-src 'self'; " +
	"form-action 'none'; frame-ancestors 'none'; base-uri 'none'"

// providerCSP is the policy of the page showing a provider's 3-D Secure
// htmlContent: a sandbox without allow-same-origin gives the provider's
// markup an opaque origin, so its scripts run (auto-submitting the
// challenge form) but can't read or act on paysync's origin: no
// same-origin fetches, cookies or storage. allow-top-navigation lets the
// challenge take the whole window to the bank and back.
const providerCSP = "sandbox allow-forms allow-scripts allow-top-navigation allow-popups; " +
	"frame-ancestors 'none'; base-uri 'none'"

// securityHeaders sets the headers every hosted page carries. Handlers
// serving the provider's content replace the CSP with providerCSP.
func securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", pageCSP)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		h.Set("X-Frame-Options", "DENY")
		return next(c)
	}
}
