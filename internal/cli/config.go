// Package cli is paysync's command line: it parses the commands (serve,
// demo, merchant create) and their settings, and starts the service
// through internal/app. Run is what main calls.
package cli

import (
	"encoding/base64"
	"flag"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	paysync "github.com/paysync/paysync/internal/app"
	"github.com/paysync/paysync/web/console"
)

// config is every setting (README, Settings); each is a flag and an environment
// variable, and the flag wins.
type config struct {
	Addr             string
	DB               string
	PublicURL        string
	AdminToken       string
	MetricsToken     string
	MasterKey        string
	PollGrace        time.Duration
	PollMinInterval  time.Duration
	PollMaxInterval  time.Duration
	CheckoutMaxAge   time.Duration
	AllowPrivateURLs bool
	Lease            time.Duration // 0: the poller's and the dispatcher's defaults

	consoleDemo *console.Demo // set by the demo: the console's sign-in link and payment form
	// The data lifecycle (README, "Data lifecycle").
	Retention          time.Duration
	UnmatchedRetention time.Duration
}

// parseConfig registers the settings on fs (callers add their own flags
// first), parses args and validates the result.
func parseConfig(fs *flag.FlagSet, args []string, getenv func(string) string, defaultDB string) (*config, error) {
	cfg, check := bindConfig(fs, getenv, defaultDB)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if err := check(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// bindConfig registers the settings on fs with defaults taken from the
// environment (through getenv), falling back to the documented defaults.
// The returned function reports environment values that don't parse.
func bindConfig(fs *flag.FlagSet, getenv func(string) string, defaultDB string) (*config, func() error) {
	c := &config{}
	var errs []string
	str := func(p *string, name, env, def, usage string) {
		fs.StringVar(p, name, or(getenv(env), def), usage+" ($"+env+")")
	}
	dur := func(p *time.Duration, name, env string, def time.Duration, usage string) {
		v := def
		if s := getenv(env); s != "" {
			d, err := time.ParseDuration(s)
			if err != nil || d <= 0 {
				errs = append(errs, fmt.Sprintf("$%s=%q is not a positive duration", env, s))
			} else {
				v = d
			}
		}
		fs.DurationVar(p, name, v, usage+" ($"+env+")")
	}
	str(&c.Addr, "addr", "PAYSYNC_ADDR", "127.0.0.1:8080", "listen address")
	str(&c.DB, "db", "PAYSYNC_DB", defaultDB, "SQLite file, or postgres:// URL of a database several instances share")
	str(&c.PublicURL, "public-url", "PAYSYNC_PUBLIC_URL", "", "base of the URLs handed out (default http://<addr>)")
	str(&c.AdminToken, "admin-token", "PAYSYNC_ADMIN_TOKEN", "", "bearer token of the admin API (empty: admin API off)")
	str(&c.MetricsToken, "metrics-token", "PAYSYNC_METRICS_TOKEN", "", "bearer token /metrics needs (empty: /metrics answers loopback clients only)")
	str(&c.MasterKey, "master-key", "PAYSYNC_MASTER_KEY", "", "32-byte key, base64, sealing merchant secrets")
	dur(&c.PollGrace, "poll-grace", "PAYSYNC_POLL_GRACE", 60*time.Second, "wait for a callback before the first fallback check")
	dur(&c.PollMinInterval, "poll-min-interval", "PAYSYNC_POLL_MIN_INTERVAL", 5*time.Second, "shortest gap between two checks of one checkout")
	dur(&c.PollMaxInterval, "poll-max-interval", "PAYSYNC_POLL_MAX_INTERVAL", 10*time.Minute, "backoff ceiling")
	dur(&c.CheckoutMaxAge, "checkout-max-age", "PAYSYNC_CHECKOUT_MAX_AGE", 72*time.Hour, "non-terminal checkouts expire after this")
	dur(&c.Lease, "lease", "PAYSYNC_LEASE", 0, "how long a claimed check or delivery is held before another instance may take it over from an instance alive but stuck; a dead instance's are taken over within 10s (default 1m for checks, 2m for deliveries; at least 20s)")
	dur(&c.Retention, "retention", "PAYSYNC_RETENTION", 2160*time.Hour, "settled checkouts keep their history (events, raw callbacks, delivery attempts) this long")
	dur(&c.UnmatchedRetention, "unmatched-retention", "PAYSYNC_UNMATCHED_RETENTION", 72*time.Hour, "callbacks that match no checkout are kept this long")
	allow := false
	if s := getenv("PAYSYNC_ALLOW_PRIVATE_URLS"); s != "" {
		b, err := strconv.ParseBool(s)
		if err != nil {
			errs = append(errs, fmt.Sprintf("$PAYSYNC_ALLOW_PRIVATE_URLS=%q is not a boolean", s))
		}
		allow = b
	}
	fs.BoolVar(&c.AllowPrivateURLs, "allow-private-urls", allow, "allow loopback/private addresses for provider and webhook URLs ($PAYSYNC_ALLOW_PRIVATE_URLS)")
	return c, func() error {
		if len(errs) > 0 {
			return fmt.Errorf("%s", strings.Join(errs, "; "))
		}
		return c.validate()
	}
}

func (c *config) validate() error {
	if err := paysync.CheckToken("--admin-token", c.AdminToken); err != nil {
		return err
	}
	if err := paysync.CheckToken("--metrics-token", c.MetricsToken); err != nil {
		return err
	}
	if c.PollMinInterval > c.PollMaxInterval {
		return fmt.Errorf("--poll-min-interval (%v) exceeds --poll-max-interval (%v)", c.PollMinInterval, c.PollMaxInterval)
	}
	for name, d := range map[string]time.Duration{"--poll-grace": c.PollGrace, "--poll-min-interval": c.PollMinInterval,
		"--poll-max-interval": c.PollMaxInterval, "--checkout-max-age": c.CheckoutMaxAge,
		"--retention": c.Retention, "--unmatched-retention": c.UnmatchedRetention} {
		if d <= 0 {
			return fmt.Errorf("%s must be positive", name)
		}
	}
	if c.Lease != 0 && c.Lease < minLease {
		return fmt.Errorf("--lease (%v) must be at least %v: a provider call or a webhook may take 15s", c.Lease, minLease)
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/") // empty: the listener's address, once known
	return nil
}

// minLease is the shortest --lease: longer than one provider call or one
// webhook attempt may take (15s each), so a live claim is never taken over.
const minLease = 20 * time.Second

// app is the wiring's configuration for these settings, logging to log.
func (c *config) app(log *slog.Logger) (paysync.Config, error) {
	key, err := c.masterKey()
	if err != nil {
		return paysync.Config{}, err
	}
	return paysync.Config{Addr: c.Addr, DB: c.DB, PublicURL: c.PublicURL, AdminToken: c.AdminToken, MetricsToken: c.MetricsToken,
		MasterKey: key,
		PollGrace: c.PollGrace, PollMinInterval: c.PollMinInterval, PollMaxInterval: c.PollMaxInterval,
		CheckoutMaxAge: c.CheckoutMaxAge, AllowPrivateURLs: c.AllowPrivateURLs, Lease: c.Lease, Logger: log,
		ConsoleDemo: c.consoleDemo, Retention: c.Retention, UnmatchedRetention: c.UnmatchedRetention}, nil
}

// masterKey decodes --master-key; nil when unset.
func (c *config) masterKey() ([]byte, error) {
	if c.MasterKey == "" {
		return nil, nil
	}
	k, err := base64.StdEncoding.DecodeString(c.MasterKey)
	if err != nil {
		return nil, fmt.Errorf("--master-key: not base64: %w", err)
	}
	if len(k) != 32 {
		return nil, fmt.Errorf("--master-key: want 32 bytes, got %d", len(k))
	}
	return k, nil
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
