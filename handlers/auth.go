package handlers

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/paysync/paysync/store"
	"github.com/paysync/paysync/throttle"
)

// merchantKey is where requireMerchant leaves the authenticated merchant.
const merchantKey = "paysync.merchant"

// bearerToken returns the token of an "Authorization: Bearer <token>" header.
func bearerToken(c echo.Context) (string, bool) {
	scheme, token, ok := strings.Cut(c.Request().Header.Get(echo.HeaderAuthorization), " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return "", false
	}
	return token, true
}

// challenge returns a 401 problem with the Bearer challenge header set.
func challenge(c echo.Context, detail string) error {
	c.Response().Header().Set(echo.HeaderWWWAuthenticate, "Bearer")
	return unauthorized(detail)
}

// requireAdmin guards the admin API: 404 when no admin token is
// configured, 401 unless the bearer token matches (compared in constant time).
func (s *server) requireAdmin(next echo.HandlerFunc) echo.HandlerFunc {
	want := sha256.Sum256([]byte(s.cfg.AdminToken))
	return func(c echo.Context) error {
		if s.cfg.AdminToken == "" {
			return notFound("the admin API is off")
		}
		if err := s.authHeld(c); err != nil {
			return err
		}
		token, ok := bearerToken(c)
		got := sha256.Sum256([]byte(token))
		if !ok || subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			s.authFailed(c, ok)
			return challenge(c, "a valid admin bearer token is required")
		}
		return next(c)
	}
}

// requireToken guards a route with a bearer token (compared in constant
// time): 401 unless the request carries it. An empty want lets every
// request through.
func (s *server) requireToken(want, detail string) echo.MiddlewareFunc {
	sum := sha256.Sum256([]byte(want))
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if want == "" {
				return next(c)
			}
			token, ok := bearerToken(c)
			got := sha256.Sum256([]byte(token))
			if !ok || subtle.ConstantTimeCompare(got[:], sum[:]) != 1 {
				return challenge(c, detail)
			}
			return next(c)
		}
	}
}

// metricsLocal refuses (403) /metrics to a client not connecting from a
// loopback address, when MetricsLocalOnly and no MetricsToken are set. The
// address is the connection's, never a header the client sets.
func (s *server) metricsLocal(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if s.cfg.MetricsToken == "" && s.cfg.MetricsLocalOnly && !fromLoopback(c.Request()) {
			return &apiError{Status: http.StatusForbidden, Slug: "forbidden",
				Detail: "/metrics answers loopback clients only; set --metrics-token to scrape it from elsewhere"}
		}
		return next(c)
	}
}

// fromLoopback reports whether r's connection comes from a loopback address.
func fromLoopback(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// requireMerchant authenticates a merchant by API key (through the
// short-TTL merchant cache) and stores it in the context.
func (s *server) requireMerchant(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := s.authHeld(c); err != nil {
			return err
		}
		key, ok := bearerToken(c)
		if !ok {
			return challenge(c, "a merchant API key is required (Authorization: Bearer <key>)")
		}
		m, err := s.auth.get(c.Request().Context(), "api_key", key, s.cfg.Store.MerchantByAPIKey)
		if store.ErrorCode(err) == store.ENOTFOUND {
			s.authFailed(c, true)
			return challenge(c, "the API key is not valid")
		}
		if err != nil {
			return fmt.Errorf("authenticate merchant: %w", err)
		}
		c.Set(merchantKey, m)
		return next(c)
	}
}

// authHeld refuses (429 with Retry-After) a client address whose
// credentials failed too often lately (Config.AuthFailures), before its
// credential is even looked at: guessing keys gets nowhere.
func (s *server) authHeld(c echo.Context) error {
	wait, held := s.cfg.AuthFailures.Held(throttle.ClientAddr(c.Request()))
	if !held {
		return nil
	}
	e := store.Errorf(store.ELIMIT, "too many failed authentications from this address; try again later")
	e.RetryAfter = wait
	return e
}

// authFailed counts a wrong credential against the client's address (a
// request that presented none is not counted).
func (s *server) authFailed(c echo.Context, presented bool) {
	if presented {
		s.cfg.AuthFailures.Fail(throttle.ClientAddr(c.Request()))
	}
}

// merchantOf returns the merchant requireMerchant authenticated.
func merchantOf(c echo.Context) store.Merchant {
	m, _ := c.Get(merchantKey).(store.Merchant)
	return m
}
