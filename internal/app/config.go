// Package app is paysync's one wiring: from a Config it builds the whole
// running service — the store and its change feed, the provider status
// clients, the handlers, and the services (retention sweep, webhook
// dispatcher, poller, inbox drainer, HTTP server, relay) — then starts the
// services as one service.Group and shuts them down in reverse. It starts
// no goroutine of its own. The commands (internal/cli) and the benchmark
// (bench) start paysync through it; no other package imports it.
package app

import (
	"log/slog"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/time/rate"

	"github.com/paysync/paysync/poller"
	"github.com/paysync/paysync/store"
	"github.com/paysync/paysync/web/console"
)

// Config is what Start needs. DB is required; a zero duration takes the
// default of the component it configures (handlers, poller).
type Config struct {
	Addr string // listen address, e.g. "127.0.0.1:8080"; port 0 picks one
	DB   string // a SQLite file, or a postgres:// URL (several instances may share it)
	// PublicURL is the base of the URLs handed out (notify, return, 3DS);
	// "" is http://<the listener's address>, which needs a named host.
	PublicURL string
	// AdminToken is the admin API's bearer token; "" turns the admin API off.
	AdminToken string
	// MetricsToken, when set, is the bearer token GET /metrics needs; ""
	// serves /metrics to loopback clients only (handlers.Config.MetricsLocalOnly).
	MetricsToken string
	// MasterKey is the 32-byte key sealing merchant secrets; nil is allowed
	// only while the database holds no merchants.
	MasterKey        []byte
	PollGrace        time.Duration // first fallback check after registration
	PollMinInterval  time.Duration // shortest gap between two checks of one checkout
	PollMaxInterval  time.Duration // backoff ceiling
	CheckoutMaxAge   time.Duration // non-terminal checkouts expire after this
	AllowPrivateURLs bool          // loopback/private provider and webhook URLs
	Logger           *slog.Logger  // default: discards
	// Lease is how long a claimed check or delivery is held before another
	// instance may take it over from an instance alive but stuck; a dead
	// instance's claims are taken over by liveness, in seconds, on a shared
	// database (0: the poller's and dispatcher's defaults).
	Lease time.Duration
	// Retention is how long a settled checkout keeps its history (events,
	// raw callbacks, delivery attempts); 2160h (90 days) by default.
	Retention time.Duration
	// UnmatchedRetention is how long a callback that matched no checkout
	// is kept; 72h by default.
	UnmatchedRetention time.Duration

	// Seams for tests and the bench; their zero values give the service
	// as `paysync serve` runs it.

	// Now is the clock of the store, poller, dispatcher and handlers
	// (default time.Now).
	Now func() time.Time
	// WrapChecker, when set, wraps each provider's status checker (keyed
	// by provider name, see package providers) before the poller gets it.
	WrapChecker func(provider string, c poller.Checker) poller.Checker
	// OnChange, when set, also learns every committed checkout version,
	// after the change feed and the dispatcher; it must not block.
	OnChange func(store.Checkout)
	// ConsoleDemo, when set, turns on the console's demo sign-in link and
	// sandbox payment form (`paysync demo` only).
	ConsoleDemo *console.Demo
	// Routes, when set, adds routes to the Echo before it serves.
	Routes func(*echo.Echo)
	// PollerConcurrency is the poller's checks in flight (poller default).
	PollerConcurrency int
	// MerchantRate and MerchantBurst bound status checks per merchant
	// (poller defaults).
	MerchantRate  rate.Limit
	MerchantBurst int
	// SweepPeriod is the time between two retention sweeps (1h).
	SweepPeriod time.Duration
	// OnSweep, when set, learns what each retention sweep did, after it.
	OnSweep func(store.Swept)
	// Unmatched bounds each merchant's callbacks that match no checkout
	// (store defaults; the bench, which floods them, raises it).
	Unmatched store.UnmatchedLimits
}
