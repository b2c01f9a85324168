// Package poller decides when to ask providers about which checkout: it
// claims due checkouts from the store, checks them with bounded concurrency
// and a per-merchant rate limit, and applies what it learns through the
// store's state machine. Provider clients live in provider/.
package poller

import (
	"cmp"
	"errors"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"
)

// Config tunes the poller. Zero values take the defaults shown.
type Config struct {
	MinInterval time.Duration // shortest gap between checks of one checkout (5s)
	// WakeGap bounds the checks of one checkout in this process, however
	// often it is woken (callbacks, refreshes, browser returns): at most
	// two start within one gap; a wake beyond is checked when the gap
	// since the older one ends (2s, or MinInterval if shorter).
	WakeGap       time.Duration
	MaxInterval   time.Duration // backoff ceiling (10m)
	MaxAge        time.Duration // non-terminal checkouts expire after this (72h)
	FastChecks    int           // quick re-checks after a callback while the status API lags (3)
	Concurrency   int           // checks in flight at once (16)
	Lease         time.Duration // how long a claim holds a checkout (1m)
	CheckTimeout  time.Duration // bound on one provider call (15s)
	MerchantRate  rate.Limit    // status checks per second per merchant and provider (20)
	MerchantBurst int           // burst of the per-merchant limiter (20)
	// Budget, when set, is asked before each check instead of the
	// in-memory limiter of MerchantRate and MerchantBurst (use
	// SharedBudget when several instances check the same merchants).
	Budget  Budget
	MaxWait time.Duration // longest idle sleep between store looks (30s)
	// BreakerFailures consecutive failed checks of one merchant's checkouts
	// on one provider endpoint open that merchant's circuit there (5);
	// BreakerCooldown later one probe is let through (30s). The endpoint's
	// own circuit opens when most of its active merchants' circuits are
	// open (see breaker).
	BreakerFailures int
	BreakerCooldown time.Duration

	Now    func() time.Time // clock; time.Now
	Jitter func() float64   // in [0,1); math/rand/v2 by default
	Logger *slog.Logger
	// Metrics, when set, receives the poller's Prometheus instruments.
	Metrics prometheus.Registerer

	// ReturnChecks is how many checks at MinInterval follow the buyer's
	// browser coming back (from 3DS or a payment page), the first at once,
	// before backoff resumes (12: a minute at the default MinInterval).
	ReturnChecks int
	// ActionInterval is the gap between checks while the buyer is in a 3DS
	// step (state action_required, no fresh browser return), kept within
	// [MinInterval, MaxInterval]: the buyer may take minutes, and their
	// browser's return makes the checkout due at once anyway (30s).
	ActionInterval time.Duration
	// NotFoundWindow is how long after registration a checkout the provider
	// says it doesn't know (Azotte's 404) is still re-checked, in case the
	// reference had not propagated; then anomaly not_found is raised and
	// polling stops (10m).
	NotFoundWindow time.Duration
}

// The defaults of Config.MerchantRate and Config.MerchantBurst.
const (
	defaultMerchantRate  rate.Limit = 20
	defaultMerchantBurst            = 20
)

func (cfg Config) withDefaults() (Config, error) {
	cfg.MinInterval = cmp.Or(cfg.MinInterval, 5*time.Second)
	cfg.MaxInterval = cmp.Or(cfg.MaxInterval, 10*time.Minute)
	cfg.WakeGap = cmp.Or(cfg.WakeGap, min(2*time.Second, cfg.MinInterval))
	cfg.MaxAge = cmp.Or(cfg.MaxAge, 72*time.Hour)
	cfg.FastChecks = cmp.Or(cfg.FastChecks, 3)
	cfg.ReturnChecks = cmp.Or(cfg.ReturnChecks, 12)
	cfg.ActionInterval = cmp.Or(cfg.ActionInterval, 30*time.Second)
	cfg.NotFoundWindow = cmp.Or(cfg.NotFoundWindow, 10*time.Minute)
	cfg.Concurrency = cmp.Or(cfg.Concurrency, 16)
	cfg.CheckTimeout = cmp.Or(cfg.CheckTimeout, 15*time.Second)
	cfg.Lease = cmp.Or(cfg.Lease, max(time.Minute, 2*cfg.CheckTimeout))
	cfg.MerchantRate = cmp.Or(cfg.MerchantRate, defaultMerchantRate)
	cfg.MerchantBurst = cmp.Or(cfg.MerchantBurst, defaultMerchantBurst)
	cfg.MaxWait = cmp.Or(cfg.MaxWait, 30*time.Second)
	cfg.BreakerFailures = cmp.Or(cfg.BreakerFailures, 5)
	cfg.BreakerCooldown = cmp.Or(cfg.BreakerCooldown, 30*time.Second)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Budget == nil {
		cfg.Budget = newMemoryBudget(cfg.MerchantRate, cfg.MerchantBurst)
	}
	if cfg.Jitter == nil {
		cfg.Jitter = rand.Float64
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MinInterval > cfg.MaxInterval {
		return cfg, errors.New("poller: min interval exceeds max interval")
	}
	if cfg.Concurrency < 1 || cfg.FastChecks < 0 || cfg.ReturnChecks < 0 {
		return cfg, errors.New("poller: concurrency must be positive")
	}
	return cfg, nil
}
