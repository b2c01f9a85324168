package console

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/paysync/paysync/store"
	"github.com/paysync/paysync/throttle"
)

// viewer is who is signed in, as the pages see it.
type viewer struct {
	session
	Merchant store.Merchant // for a merchant session
}

// Scope is what the viewer may see.
func (v viewer) Scope() store.Scope {
	if v.Role == roleOperator {
		return store.OperatorScope()
	}
	return store.MerchantScope(v.MerchantID)
}

// Operator reports whether the viewer sees every merchant.
func (v viewer) Operator() bool { return v.Role == roleOperator }

const viewerKey = "paysync.console.viewer"

func viewerOf(e echo.Context) viewer {
	v, _ := e.Get(viewerKey).(viewer)
	return v
}

// requireSession lets through requests with a valid session cookie (of a
// merchant that still exists) and sends the others to the sign-in page.
func (c *Console) requireSession(next echo.HandlerFunc) echo.HandlerFunc {
	return func(e echo.Context) error {
		ck, err := e.Cookie(sessionCookie)
		if err != nil {
			return e.Redirect(http.StatusSeeOther, "/console/")
		}
		s, ok := c.keys.open(ck.Value, c.cfg.Now())
		if !ok {
			c.clearCookie(e, sessionCookie)
			return e.Redirect(http.StatusSeeOther, "/console/")
		}
		revoked, err := c.cfg.Store.SessionRevoked(e.Request().Context(), s.Nonce)
		if err != nil {
			return c.fail(e, fmt.Errorf("read session: %w", err))
		}
		if revoked {
			c.clearCookie(e, sessionCookie)
			return e.Redirect(http.StatusSeeOther, "/console/")
		}
		v := viewer{session: s}
		if s.Role == roleMerchant {
			m, err := c.cfg.Store.Merchant(e.Request().Context(), s.MerchantID)
			if store.ErrorCode(err) == store.ENOTFOUND {
				c.clearCookie(e, sessionCookie)
				return e.Redirect(http.StatusSeeOther, "/console/")
			}
			if err != nil {
				return c.fail(e, fmt.Errorf("read session merchant: %w", err))
			}
			v.Merchant = m
		}
		e.Set(viewerKey, v)
		return next(e)
	}
}

// requireCSRF refuses (403) a form whose csrf field isn't the session's token.
func (c *Console) requireCSRF(next echo.HandlerFunc) echo.HandlerFunc {
	return func(e echo.Context) error {
		if !c.keys.checkCSRF("form", viewerOf(e).Nonce, e.FormValue("csrf")) {
			return c.forbidden(e)
		}
		return next(e)
	}
}

// signInPage handles GET /console/: the sign-in form, or the overview
// for a visitor already signed in.
func (c *Console) signInPage(e echo.Context) error {
	if ck, err := e.Cookie(sessionCookie); err == nil {
		if _, ok := c.keys.open(ck.Value, c.cfg.Now()); ok {
			return e.Redirect(http.StatusSeeOther, "/console/overview")
		}
	}
	return c.renderSignIn(e, http.StatusOK, "")
}

func (c *Console) renderSignIn(e echo.Context, status int, problem string) error {
	nonce := newNonce()
	c.setCookie(e, preCookie, nonce, 30*time.Minute)
	return c.render(e, status, "signin.html", map[string]any{
		"CSRF": c.keys.csrfToken("signin", nonce), "Problem": problem,
	})
}

// signIn handles POST /console/signin: the admin token signs in as the
// operator, a merchant API key as that merchant.
func (c *Console) signIn(e echo.Context) error {
	pre, err := e.Cookie(preCookie)
	if err != nil || !c.keys.checkCSRF("signin", pre.Value, e.FormValue("csrf")) {
		return c.forbidden(e)
	}
	token := strings.TrimSpace(e.FormValue("token"))
	keys := signInKeys(e, token)
	if wait, held := c.cfg.SignInFailures.Held(keys...); held {
		// Held back, even with the right token: guessing gets nowhere.
		e.Response().Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds()+0.999)))
		return c.renderSignIn(e, http.StatusTooManyRequests, "signin.throttled")
	}
	s := session{Expires: c.cfg.Now().Add(c.cfg.SessionTTL).Unix(), Nonce: newNonce()}
	switch {
	case token == "":
		return c.renderSignIn(e, http.StatusUnauthorized, "signin.invalid")
	case c.isAdmin(token):
		s.Role = roleOperator
	default:
		m, err := c.cfg.Store.MerchantByAPIKey(e.Request().Context(), token)
		if store.ErrorCode(err) == store.ENOTFOUND {
			c.cfg.SignInFailures.Fail(keys...)
			return c.renderSignIn(e, http.StatusUnauthorized, "signin.invalid")
		}
		if err != nil {
			return c.fail(e, fmt.Errorf("sign in: %w", err))
		}
		s.Role, s.MerchantID = roleMerchant, m.ID
	}
	c.clearCookie(e, preCookie)
	c.setCookie(e, sessionCookie, c.keys.seal(s), c.cfg.SessionTTL)
	return e.Redirect(http.StatusSeeOther, "/console/overview")
}

func (c *Console) isAdmin(token string) bool {
	if c.cfg.AdminToken == "" {
		return false
	}
	want, got := sha256.Sum256([]byte(c.cfg.AdminToken)), sha256.Sum256([]byte(token))
	return subtle.ConstantTimeCompare(want[:], got[:]) == 1
}

// demoSignIn handles GET /console/signin/:token, the link `paysync demo`
// prints: the first use signs in as the operator; a later one gets the
// sign-in page saying the link was used, and any other token the sign-in
// page.
func (c *Console) demoSignIn(e echo.Context) error {
	d := c.cfg.Demo
	tok := sha256.Sum256([]byte(e.Param("token")))
	if d == nil || d.SignInToken == "" {
		return e.Redirect(http.StatusSeeOther, "/console/")
	}
	want := sha256.Sum256([]byte(d.SignInToken))
	if subtle.ConstantTimeCompare(tok[:], want[:]) != 1 {
		return e.Redirect(http.StatusSeeOther, "/console/")
	}
	if !c.useDemoToken() {
		return c.renderSignIn(e, http.StatusOK, "used") // the sign-in page, saying why it is shown
	}
	s := session{Role: roleOperator, Expires: c.cfg.Now().Add(c.cfg.SessionTTL).Unix(), Nonce: newNonce()}
	c.setCookie(e, sessionCookie, c.keys.seal(s), c.cfg.SessionTTL)
	return e.Redirect(http.StatusSeeOther, "/console/demo")
}

// useDemoToken reports whether this is the first use of the demo's
// sign-in token (the demo runs as one process, so memory is enough).
func (c *Console) useDemoToken() (first bool) {
	c.demoMu.Lock()
	defer c.demoMu.Unlock()
	if c.demoDone {
		return false
	}
	c.demoDone = true
	return true
}

// signOut handles POST /console/signout: the session is revoked in the
// database until it would have expired (so a copy of its cookie stops
// working on every instance) and the cookie is removed.
func (c *Console) signOut(e echo.Context) error {
	s := viewerOf(e).session
	if err := c.cfg.Store.RevokeSession(e.Request().Context(), s.Nonce, time.Unix(s.Expires, 0)); err != nil {
		return c.fail(e, fmt.Errorf("sign out: %w", err))
	}
	c.clearCookie(e, sessionCookie)
	return e.Redirect(http.StatusSeeOther, "/console/")
}

// signInKeys are the throttle's keys of a sign-in attempt: the client's
// address and the token tried (its hash).
func signInKeys(e echo.Context, token string) []string {
	sum := sha256.Sum256([]byte(token))
	return []string{throttle.ClientAddr(e.Request()), "token:" + hex.EncodeToString(sum[:16])}
}

func (c *Console) setCookie(e echo.Context, name, value string, ttl time.Duration) {
	e.SetCookie(&http.Cookie{Name: name, Value: value, Path: "/console/", MaxAge: int(ttl.Seconds()),
		HttpOnly: true, Secure: c.cfg.Secure, SameSite: http.SameSiteStrictMode})
}

func (c *Console) clearCookie(e echo.Context, name string) {
	e.SetCookie(&http.Cookie{Name: name, Value: "", Path: "/console/", MaxAge: -1,
		HttpOnly: true, Secure: c.cfg.Secure, SameSite: http.SameSiteStrictMode})
}
