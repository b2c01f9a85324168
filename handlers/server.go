// Package handlers is paysync's HTTP API: the admin API for merchants, the
// merchant API for checkouts, PayUnit callbacks, health checks and the
// OpenAPI description. Handlers parse, call the store and render; every
// error becomes an RFC 9457 problem in one place (errors.go).
package handlers

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/paysync/paysync/netguard"
	"github.com/paysync/paysync/providers"
	"github.com/paysync/paysync/store"
	"github.com/paysync/paysync/throttle"
	"github.com/paysync/paysync/web"
)

// Store is what the handlers need of *store.DB, including what the
// hosted pages need (web.Store).
type Store interface {
	web.Store
	CreateMerchant(ctx context.Context, in store.NewMerchant) (store.CreatedMerchant, error)
	Merchant(ctx context.Context, id string) (store.Merchant, error)
	MerchantByAPIKey(ctx context.Context, key string) (store.Merchant, error)
	MerchantByHookToken(ctx context.Context, token string) (store.Merchant, error)
	RegisterCheckout(ctx context.Context, in store.NewCheckout) (store.Checkout, bool, error)
	Checkout(ctx context.Context, merchantID, id string) (store.Checkout, error)
	CheckoutRev(ctx context.Context, merchantID, id string) (int64, error)
	ListCheckouts(ctx context.Context, merchantID string, f store.CheckoutFilter) ([]store.Checkout, string, error)
	Events(ctx context.Context, merchantID, checkoutID string) ([]store.Event, error)
	RequestCheck(ctx context.Context, merchantID, id string) (store.Checkout, error)
	RecordStart(ctx context.Context, r store.StartResult) (store.Checkout, error)
	MerchantSecrets(ctx context.Context, id string) (store.Merchant, string, error)
	AcceptNotification(ctx context.Context, n store.Notification) (store.Accepted, error)
	Ping(ctx context.Context) error
	WebhookStore
}

// Config configures New. Store and PublicURL are required; the rest have defaults.
type Config struct {
	Store Store
	Waker store.Waker // the poller (default: store.NopWaker)
	// Inbox drains the callback inbox: a callback naming a registered
	// checkout is acknowledged once appended there
	// (store.DB.AcceptNotification), and Inbox is woken (default: does
	// nothing; the drainer then finds the entry on its own tick).
	Inbox store.Waker
	// Webhooks wakes the webhook dispatcher after a redelivery (default: does nothing).
	Webhooks store.Waker
	Logger   *slog.Logger // default: discards
	// PublicURL is the base of the URLs handed out (notify, return, 3DS),
	// e.g. "http://127.0.0.1:8080"; a trailing slash is removed.
	PublicURL string
	// AdminToken is the admin API's bearer token; "" turns the admin API
	// off (its routes answer 404).
	AdminToken string
	// MetricsToken, when set, is the bearer token GET /metrics needs
	// (401 without it); "" leaves /metrics to MetricsLocalOnly.
	MetricsToken string
	// MetricsLocalOnly, without a MetricsToken, serves /metrics only to
	// clients connecting from a loopback address (403 for the others): the
	// wiring's safe default, so that a service listening on a public
	// address doesn't show its metrics to everyone. False leaves /metrics
	// open without a token.
	MetricsLocalOnly bool
	// PollGrace delays the first fallback check after registration (default 60s).
	PollGrace time.Duration
	// PollMinInterval is the Retry-After when next_check_at is unknown (default 5s).
	PollMinInterval time.Duration
	// AllowPrivateURLs allows loopback, private, link-local and unspecified
	// hosts in provider base URLs and webhook_url.
	AllowPrivateURLs bool
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Metrics, when set, receives the handlers' instruments and is served
	// at GET /metrics.
	Metrics *prometheus.Registry
	// Changes, the store's change feed, feeds the long-poll (?wait=) and
	// the event stream; wire its Publish to store.Options.OnChange.
	// Default: a feed nobody publishes to, so waits only end by their time
	// limit.
	Changes *store.Feed
	// Heartbeat is the gap between keep-alive comments on an event
	// stream (default 15s).
	Heartbeat time.Duration
	// AuthCacheTTL is how long a merchant found by API key or hook token is
	// remembered (default 10s; negative turns the cache off). A removed or
	// rotated credential keeps working for at most this long.
	AuthCacheTTL time.Duration
	// Reads says whether GET /v1/checkouts/{id} is served from a cache of
	// encoded checkouts fed by Changes, and whether a cached one is
	// checked against the database first (see Reads; default
	// ReadsUncached). Only the wiring knows whether Changes hears of every
	// commit.
	Reads Reads
	// ReadCacheSize bounds that cache, in checkouts (default 10000).
	ReadCacheSize int
	// ProviderClient returns the HTTP client that starts payments at a
	// provider (POST /v1/checkouts with start), built once per provider
	// that can start them. Default: a guarded client
	// (netguard.HTTPClient with AllowPrivateURLs and the provider's
	// Timeout).
	ProviderClient func(providers.Provider) *http.Client
	// AuthFailures holds back a client address whose API keys or bearer
	// tokens failed too often (429 with Retry-After; default: 20 failures
	// a minute).
	AuthFailures *throttle.Failures
	// MaxHeldPerMerchant bounds the event streams and long-polls one
	// merchant holds open at once in this process; beyond, 429 (default
	// 1000).
	MaxHeldPerMerchant int
}

// server holds the handlers' dependencies; its methods are the routes.
type server struct {
	cfg     Config
	log     *slog.Logger
	metrics *metrics
	auth    *merchantCache
	reads   *checkoutCache // nil when Config.Reads is ReadsUncached
	// startClients are Config.ProviderClient's, by provider name, for
	// the providers that can start payments.
	startClients map[string]*http.Client
	starts       *startFlights // the starts in flight in this process
	held         *holds        // the streams and long-polls held, per merchant
}

// Body limits.
const (
	apiBodyLimit  = "1M"
	hookBodyLimit = 64 << 10
)

// New returns an Echo with every route registered, the problem+json error
// handler, the request validator and the middleware (recover, request id,
// one log line per request, body limits). It fails when Store is nil or
// PublicURL is not an absolute http(s) URL.
func New(cfg Config) (*echo.Echo, error) {
	_, e, err := newServer(cfg)
	return e, err
}

// newServer is New, with the server whose methods are the routes.
func newServer(cfg Config) (*server, *echo.Echo, error) {
	cfg, err := withDefaults(cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("new handlers: %w", err)
	}
	var reg prometheus.Registerer
	if cfg.Metrics != nil {
		reg = cfg.Metrics
	}
	met, err := newMetrics(reg)
	if err != nil {
		return nil, nil, fmt.Errorf("new handlers: %w", err)
	}
	if reg != nil {
		if err := reg.Register(waitersGauge(cfg.Changes)); err != nil {
			return nil, nil, fmt.Errorf("new handlers: %w", err)
		}
	}
	s := &server{cfg: cfg, log: cfg.Logger, metrics: met, auth: newMerchantCache(cfg.AuthCacheTTL, cfg.Now),
		startClients: map[string]*http.Client{}, starts: &startFlights{},
		held: newHolds(cmp.Or(cfg.MaxHeldPerMerchant, defaultMaxHeld))}
	for _, p := range providers.All() {
		if p.Start != nil {
			s.startClients[p.Name] = cfg.ProviderClient(p)
		}
	}
	if cfg.Reads != ReadsUncached {
		s.reads = newCheckoutCache(cmp.Or(cfg.ReadCacheSize, defaultReadCacheSize), s.encodeCached)
		cfg.Changes.Observe(s.reads)
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	e.Validator = newValidator(cfg.AllowPrivateURLs)
	e.Pre(optionsStar, headAsGet)
	e.Use(restoreHead, middleware.RequestID(), s.logRequests, s.recoverPanics(), compress())
	s.routes(e)
	pages, err := web.New(web.Config{Store: cfg.Store, Waker: cfg.Waker, Logger: cfg.Logger.With("component", "web")})
	if err != nil {
		return nil, nil, fmt.Errorf("new handlers: %w", err)
	}
	pages.Register(e.Group("/pay"))    // HTML pages: their own errors and headers, not problem+json
	e.GET("/favicon.ico", web.Favicon) // every browser asks for it, on the hosted pages and the console
	return s, e, nil
}

func withDefaults(cfg Config) (Config, error) {
	if cfg.Store == nil {
		return cfg, errors.New("store is required")
	}
	cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	if u, err := url.Parse(cfg.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return cfg, fmt.Errorf("public URL %q is not an absolute http(s) URL", cfg.PublicURL)
	}
	if cfg.AuthFailures == nil {
		cfg.AuthFailures = throttle.New(20, time.Minute, cfg.Now)
	}
	if cfg.Waker == nil {
		cfg.Waker = store.NopWaker{}
	}
	if cfg.Inbox == nil {
		cfg.Inbox = store.NopWaker{}
	}
	if cfg.Webhooks == nil {
		cfg.Webhooks = store.NopWaker{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	cfg.PollGrace = cmp.Or(cfg.PollGrace, 60*time.Second)
	cfg.PollMinInterval = cmp.Or(cfg.PollMinInterval, 5*time.Second)
	cfg.AuthCacheTTL = cmp.Or(cfg.AuthCacheTTL, 10*time.Second)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Changes == nil {
		cfg.Changes = store.NewFeed()
	}
	cfg.Heartbeat = cmp.Or(cfg.Heartbeat, 15*time.Second)
	if cfg.ProviderClient == nil {
		allow := cfg.AllowPrivateURLs
		cfg.ProviderClient = func(p providers.Provider) *http.Client { return netguard.HTTPClient(allow, p.Timeout) }
	}
	return cfg, nil
}

func (s *server) routes(e *echo.Echo) {
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/openapi.yaml", s.openapi)
	if s.cfg.Metrics != nil {
		e.GET("/metrics", metricsHandler(s.cfg.Metrics), s.requireToken(s.cfg.MetricsToken, "a valid metrics bearer token is required"),
			s.metricsLocal)
	}
	for _, p := range providers.All() { // the notify URL of each provider that sends callbacks
		if p.ParseCallback != nil {
			e.POST("/hooks/"+p.Name+"/:token", func(c echo.Context) error { return s.providerHook(c, p) })
		}
	}

	// The middleware is given per route, not to the group: a group's own
	// middleware makes Echo add a catch-all route under its prefix, which
	// turned a wrong method on a known path into 404 instead of 405 + Allow.
	admin := routeGroup{e.Group("/admin/v1"), []echo.MiddlewareFunc{middleware.BodyLimit(apiBodyLimit), s.requireAdmin, privateCache("no-store")}}
	admin.add(http.MethodPost, "/merchants", s.createMerchant)
	admin.add(http.MethodGet, "/merchants/:id", s.getMerchant)
	admin.add(http.MethodPost, "/merchants/:id/webhook-secret/rotate", s.rotateWebhookSecret)
	admin.add(http.MethodPost, "/merchants/:id/webhook/enable", s.enableWebhook)

	api := routeGroup{e.Group("/v1"), []echo.MiddlewareFunc{middleware.BodyLimit(apiBodyLimit), s.requireMerchant, privateCache("private, no-cache")}}
	api.add(http.MethodPost, "/checkouts", s.createCheckout)
	api.add(http.MethodGet, "/checkouts", s.listCheckouts)
	api.add(http.MethodGet, "/checkouts/:id", s.getCheckout)
	api.add(http.MethodGet, "/checkouts/:id/events", s.listEvents)
	api.add(http.MethodGet, "/checkouts/:id/stream", s.streamCheckout)
	api.add(http.MethodPost, "/checkouts/:id/refresh", s.refreshCheckout)
	api.add(http.MethodGet, "/deliveries", s.listDeliveries)
	api.add(http.MethodPost, "/deliveries/:id/redeliver", s.redeliver)
}

// routeGroup registers routes under a prefix, each with the same middleware.
type routeGroup struct {
	g  *echo.Group
	mw []echo.MiddlewareFunc
}

func (r routeGroup) add(method, path string, h echo.HandlerFunc) {
	r.g.Add(method, path, h, r.mw...)
}
