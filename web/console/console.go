// Package console is paysync's operator console (README, Operator
// console): server-rendered pages under /console/ for the operator (the
// admin token: every merchant) and for merchants (an API key: their own
// data only, enforced by the store's scoped queries). Templates and assets
// are embedded; nothing comes from a third party; pages are in English
// and French, chosen by Accept-Language.
//
// Sessions are signed, expiring cookies (HMAC-SHA256 with a key derived
// from the master key and the admin token), so every instance over a
// shared database accepts them and nothing is kept in memory; rotating
// the admin token or the master key ends every session. Signing out
// records the session's id in the database (store.DB.RevokeSession), and
// every request checks it, so a copy of the cookie stops working on every
// instance at once. Sign-in failures are throttled per client address and
// per token tried (throttle.Failures).
package console

import (
	"cmp"
	"context"
	"crypto/rand"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/paysync/paysync/store"
	"github.com/paysync/paysync/throttle"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed assets
var assetFS embed.FS

// Store is what the console needs of *store.DB.
type Store interface {
	MerchantByAPIKey(ctx context.Context, key string) (store.Merchant, error)
	Merchant(ctx context.Context, id string) (store.Merchant, error)
	Overview(ctx context.Context, scope store.Scope, window time.Duration) (store.Overview, error)
	SearchCheckouts(ctx context.Context, scope store.Scope, f store.ConsoleFilter) ([]store.Checkout, string, error)
	ScopedCheckout(ctx context.Context, scope store.Scope, id string) (store.Checkout, error)
	CheckoutTimeline(ctx context.Context, scope store.Scope, id string) (store.Timeline, error)
	FailedDeliveries(ctx context.Context, scope store.Scope, limit int) ([]store.Delivery, error)
	RedeliverInScope(ctx context.Context, scope store.Scope, id string) (store.Delivery, error)
	ReplayFailedSince(ctx context.Context, scope store.Scope, since time.Time) (int, error)
	CheckNow(ctx context.Context, scope store.Scope, id string) (store.Checkout, error)
	EnableWebhook(ctx context.Context, merchantID string) (int64, error)
	RevokeSession(ctx context.Context, id string, until time.Time) error
	SessionRevoked(ctx context.Context, id string) (bool, error)
}

// Demo is what the console offers in `paysync demo` only.
type Demo struct {
	// SignInToken, used once at GET /console/signin/{token}, signs the
	// newcomer in as the operator; it is useless afterwards.
	SignInToken string
	// Scenarios are the sandbox payments the demo form offers, in order.
	Scenarios []string
	// Start starts a sandbox payment of a scenario and returns the id of
	// the checkout paysync watches.
	Start func(ctx context.Context, scenario string) (checkoutID string, err error)
}

// Config configures New. Store is required.
type Config struct {
	Store Store
	// Changes is the store's change feed: the checkout page updates live from it.
	Changes *store.Feed
	Waker   store.Waker // the poller, after "check now" (default: store.NopWaker)
	// Webhooks wakes the webhook dispatcher after a redelivery or a replay.
	Webhooks store.Waker
	Logger   *slog.Logger // default: discards
	// AdminToken signs in as the operator; "" leaves only merchant sign-in.
	AdminToken string
	// MasterKey derives the session key. Without one a random key is
	// drawn at start: sessions then hold on this instance only, until it
	// restarts.
	MasterKey []byte
	// Secure marks the cookies Secure (the public URL is https).
	Secure bool
	// SessionTTL is how long a session lasts (default 8h).
	SessionTTL time.Duration
	// Heartbeat is the gap between keep-alive comments on the live stream (default 15s).
	Heartbeat time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Demo, when set, turns the demo's sign-in link and payment form on.
	Demo *Demo
	// SignInFailures holds back sign-in from a client address, and with a
	// token, that failed too often (default: 10 a minute each).
	SignInFailures *throttle.Failures
}

// Console is the console's handler set; mount it with Register.
type Console struct {
	cfg      Config
	log      *slog.Logger
	keys     sessionKeys
	pages    map[string]*template.Template
	demoMu   sync.Mutex
	demoDone bool // the demo's sign-in token was used
}

// New parses the templates and returns the console. It fails when Store
// is nil or a template doesn't parse.
func New(cfg Config) (*Console, error) {
	if cfg.Store == nil {
		return nil, errors.New("new console: store is required")
	}
	if cfg.Waker == nil {
		cfg.Waker = store.NopWaker{}
	}
	if cfg.Webhooks == nil {
		cfg.Webhooks = store.NopWaker{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Changes == nil {
		cfg.Changes = store.NewFeed()
	}
	cfg.SessionTTL = cmp.Or(cfg.SessionTTL, 8*time.Hour)
	if cfg.SignInFailures == nil {
		cfg.SignInFailures = throttle.New(10, time.Minute, cfg.Now)
	}
	cfg.Heartbeat = cmp.Or(cfg.Heartbeat, 15*time.Second)
	master := cfg.MasterKey
	if len(master) == 0 {
		master = make([]byte, 32)
		rand.Read(master)
	}
	pages, err := parsePages()
	if err != nil {
		return nil, fmt.Errorf("new console: %w", err)
	}
	return &Console{cfg: cfg, log: cfg.Logger, keys: deriveKeys(master, cfg.AdminToken), pages: pages}, nil
}

// Register mounts the console on g (the /console group): every page but
// the sign-in page and the assets needs a session, and sends a visitor
// without one to the sign-in page (303).
func (c *Console) Register(g *echo.Group) {
	g.Use(securityHeaders)
	g.GET("/", c.signInPage)
	g.POST("/signin", c.signIn)
	g.GET("/signin/:token", c.demoSignIn)
	g.GET("/assets/*", c.asset)
	s := g.Group("", c.requireSession)
	s.POST("/signout", c.signOut, c.requireCSRF)
	s.GET("/overview", c.overview)
	s.GET("/checkouts", c.checkouts)
	s.GET("/checkouts/:id", c.checkout)
	s.GET("/checkouts/:id/live", c.live)
	s.POST("/checkouts/:id/check", c.checkNow, c.requireCSRF)
	s.GET("/deliveries", c.deliveries)
	s.POST("/deliveries/:id/redeliver", c.redeliver, c.requireCSRF)
	s.POST("/deliveries/replay", c.replay, c.requireCSRF)
	s.POST("/merchants/:id/webhook/enable", c.enableWebhook, c.requireCSRF)
	s.GET("/demo", c.demoPage)
	s.POST("/demo", c.demoStart, c.requireCSRF)
	g.GET("", func(e echo.Context) error { return e.Redirect(http.StatusSeeOther, "/console/") })
	g.RouteNotFound("/*", c.notFound, c.requireSession)
}
