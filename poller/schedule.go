package poller

import (
	"math"
	"time"

	"github.com/paysync/paysync/provider/plugin"
	"github.com/paysync/paysync/store"
)

// outcome is what one check says about scheduling: hop 2 of the verdict
// path (see Config.observation), the input of Config.schedule.
type outcome struct {
	retryAfter time.Duration // the provider asked us to wait at least this long
	slowDown   bool          // credentials rejected and the like: wait the maximum
	action     bool          // the buyer is in a 3DS step: check every ActionInterval
	notFound   bool          // the provider doesn't know the checkout (yet)
	stop       bool          // no point checking again until a wake
}

// outcomeOf is what a report says about scheduling, for Config.schedule.
func outcomeOf(r plugin.Report) outcome {
	return outcome{retryAfter: r.RetryAfter, slowDown: r.SlowDown,
		action: r.State == plugin.StateActionRequired, notFound: r.NotFound, stop: r.Stop}
}

// plan is when to check a checkout next: hop 3 of the verdict path, made by
// Config.schedule and copied into the observation by Config.observation.
type plan struct {
	next     *time.Time // nil: stop polling
	attempts int
	expire   bool
	notFound bool // gave up on a checkout the provider never found: raise not_found
}

// inFastWindow reports whether c was woken by news (a callback, the buyer's
// browser) recently enough that it is re-checked quickly while the
// provider's status API catches up.
func (cfg Config) inFastWindow(c store.Checkout) bool {
	switch c.WakeReason {
	case store.SourceCallback:
		return c.Attempts < cfg.FastChecks
	case store.SourceBrowserReturn:
		return c.Attempts < cfg.ReturnChecks
	}
	return false
}

// resolvedBy is what a verdict found in this check is credited to.
func (cfg Config) resolvedBy(c store.Checkout) string {
	if cfg.inFastWindow(c) {
		return c.WakeReason
	}
	return store.SourcePoll
}

// schedule decides the next check after one that left c non-terminal:
// quick re-checks at the minimum interval right after a callback or the
// buyer's browser return, every ActionInterval while the buyer is in a 3DS
// step, else exponential backoff with jitter between the minimum and
// maximum intervals; never sooner than the provider's Retry-After (itself
// bounded by the maximum), and never past the checkout's max age, at which
// polling stops. A stop outcome plans no check; a checkout the provider
// still doesn't know NotFoundWindow after registration plans none either
// and is marked notFound. jitter is a number in [0, 1). It is pure.
func (cfg Config) schedule(now time.Time, c store.Checkout, o outcome, jitter float64) plan {
	attempts := c.Attempts + 1
	if o.stop {
		return plan{attempts: attempts}
	}
	if o.notFound && !now.Before(c.CreatedAt.Add(cfg.NotFoundWindow)) {
		return plan{attempts: attempts, notFound: true}
	}
	var delay time.Duration
	switch {
	case o.slowDown:
		delay = cfg.MaxInterval
	case cfg.inFastWindow(c):
		delay = cfg.MinInterval
	case o.action:
		delay = min(max(cfg.ActionInterval, cfg.MinInterval), cfg.MaxInterval)
	default:
		delay = backoff(cfg.MinInterval, cfg.MaxInterval, attempts-cfg.fastUsed(c), jitter)
	}
	delay = max(delay, min(o.retryAfter, cfg.MaxInterval))
	deadline := c.CreatedAt.Add(cfg.MaxAge)
	if !now.Before(deadline) && !cfg.inFastWindow(c) {
		return plan{attempts: attempts, expire: true}
	}
	next := now.Add(delay)
	if next.After(deadline) && now.Before(deadline) {
		next = deadline
	}
	return plan{next: &next, attempts: attempts}
}

// fastUsed is how many of c's attempts were quick re-checks, so backoff
// starts from the minimum once they are spent.
func (cfg Config) fastUsed(c store.Checkout) int {
	switch c.WakeReason {
	case store.SourceCallback:
		return min(c.Attempts, cfg.FastChecks)
	case store.SourceBrowserReturn:
		return min(c.Attempts, cfg.ReturnChecks)
	}
	return 0
}

// backoff is min·2^(n-1), capped at max, then jittered down by up to half
// and kept within [min, max].
func backoff(minD, maxD time.Duration, n int, jitter float64) time.Duration {
	n = max(n, 1)
	d := float64(minD) * math.Pow(2, float64(min(n-1, 40)))
	d = min(d, float64(maxD))
	d -= d / 2 * jitter
	return min(max(time.Duration(d), minD), maxD)
}
