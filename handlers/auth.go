package handlers

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/paysync/paysync/store"
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
		token, ok := bearerToken(c)
		got := sha256.Sum256([]byte(token))
		if !ok || subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
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

// requireMerchant authenticates a merchant by API key (through the
// short-TTL merchant cache) and stores it in the context.
func (s *server) requireMerchant(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		key, ok := bearerToken(c)
		if !ok {
			return challenge(c, "a merchant API key is required (Authorization: Bearer <key>)")
		}
		m, err := s.auth.get(c.Request().Context(), "api_key", key, s.cfg.Store.MerchantByAPIKey)
		if store.ErrorCode(err) == store.ENOTFOUND {
			return challenge(c, "the API key is not valid")
		}
		if err != nil {
			return fmt.Errorf("authenticate merchant: %w", err)
		}
		c.Set(merchantKey, m)
		return next(c)
	}
}

// merchantOf returns the merchant requireMerchant authenticated.
func merchantOf(c echo.Context) store.Merchant {
	m, _ := c.Get(merchantKey).(store.Merchant)
	return m
}
