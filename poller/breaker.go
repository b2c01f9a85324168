package poller

import (
	"context"
	"errors"
	"net/url"
	"sync"
	"time"

	"github.com/paysync/paysync/store"
)

// circuitState is the state of one provider endpoint's circuit.
type circuitState int

// Circuit states; the numbers are the values of the paysync_circuit_state gauge.
const (
	circuitClosed   circuitState = 0 // checks flow
	circuitHalfOpen circuitState = 1 // one probe is allowed through
	circuitOpen     circuitState = 2 // checks are held back until the cool-down ends
)

// String returns the state's lower-case name.
func (s circuitState) String() string {
	switch s {
	case circuitOpen:
		return "open"
	case circuitHalfOpen:
		return "half_open"
	}
	return "closed"
}

// breaker is a circuit breaker per provider endpoint (provider and base URL
// host). After threshold consecutive failed checks (no answer, timeout, 5xx,
// garbled body: never a 4xx verdict) the circuit opens and no check is sent
// for cooldown; then one probe goes through (half-open): success closes the
// circuit, failure opens it for another cool-down. The clock is the
// caller's: every method takes now.
type breaker struct {
	threshold int
	cooldown  time.Duration
	onChange  func(key string, from, to circuitState) // also called once per new key, closed to closed

	mu       sync.Mutex
	circuits map[string]*circuit
}

// circuit is one endpoint's state.
type circuit struct {
	state    circuitState
	failures int       // consecutive, while closed
	retryAt  time.Time // open: when the next probe may go; half-open: when a lost probe is given up
}

func newBreaker(threshold int, cooldown time.Duration, onChange func(key string, from, to circuitState)) *breaker {
	if onChange == nil {
		onChange = func(string, circuitState, circuitState) {}
	}
	return &breaker{threshold: threshold, cooldown: cooldown, onChange: onChange, circuits: map[string]*circuit{}}
}

// allow reports whether a check of endpoint key may be sent at now. When it
// may not, retryAt is the earliest time worth trying again. The empty key
// (no known endpoint) is always allowed.
func (b *breaker) allow(key string, now time.Time) (ok bool, retryAt time.Time) {
	if key == "" {
		return true, time.Time{}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	c := b.circuits[key]
	if c == nil {
		b.circuits[key] = &circuit{}
		b.onChange(key, circuitClosed, circuitClosed) // first sighting: the endpoint's gauge starts at closed
	}
	if c == nil || c.state == circuitClosed {
		return true, time.Time{}
	}
	if now.Before(c.retryAt) {
		return false, c.retryAt
	}
	// Cool-down over (open), or the probe never reported back (half-open):
	// this check is the probe.
	b.set(key, c, circuitHalfOpen)
	c.retryAt = now.Add(b.cooldown)
	return true, time.Time{}
}

// record reports the outcome of a check that allow let through: failed
// means the endpoint did not answer usably.
func (b *breaker) record(key string, now time.Time, failed bool) {
	if key == "" {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	c := b.circuits[key]
	if c == nil {
		if !failed {
			return
		}
		c = &circuit{}
		b.circuits[key] = c
	}
	switch {
	case !failed:
		c.failures = 0
		b.set(key, c, circuitClosed) // any answer proves the endpoint is back
	case c.state == circuitHalfOpen:
		c.retryAt = now.Add(b.cooldown)
		b.set(key, c, circuitOpen)
	case c.state == circuitClosed:
		if c.failures++; c.failures >= b.threshold {
			c.failures = 0
			c.retryAt = now.Add(b.cooldown)
			b.set(key, c, circuitOpen)
		}
	}
	// open: a late failure of a check sent before the circuit opened changes nothing
}

// set moves c to state s, announcing a change. The caller holds b.mu.
func (b *breaker) set(key string, c *circuit, s circuitState) {
	if c.state != s {
		from := c.state
		c.state = s
		b.onChange(key, from, s)
	}
}

// circuitKey names the endpoint a check of c goes to: its provider and the
// host of the merchant's base URL for it ("" when unknown).
func circuitKey(provider string, m store.Merchant) string {
	var base string
	switch {
	case provider == store.ProviderPayUnit && m.PayUnit != nil:
		base = m.PayUnit.BaseURL
	case provider == store.ProviderAzotte && m.Azotte != nil:
		base = m.Azotte.BaseURL
	}
	u, err := url.Parse(base)
	if err != nil || u.Host == "" {
		return ""
	}
	return provider + " " + u.Host
}

// errCircuitOpen is observe's answer for a check its circuit holds back.
var errCircuitOpen = errors.New("circuit open")

// heldBack is the observation for a checkout whose check the open circuit
// held back: nothing was asked, the attempt count and expiry are untouched,
// and the next look is when the circuit may let a probe through, spread
// over one minimum interval so held-back checkouts don't return at once.
func (p *Poller) heldBack(obs store.Observation, c store.Checkout, retryAt time.Time) store.Observation {
	next := retryAt.Add(time.Duration(p.cfg.Jitter() * float64(p.cfg.MinInterval)))
	obs.Attempts, obs.NextCheckAt = c.Attempts, &next
	return obs
}

// holdBack reschedules a checkout its circuit held back.
func (p *Poller) holdBack(ctx context.Context, c store.Checkout, obs store.Observation) {
	p.metrics.heldBack.WithLabelValues(c.Provider).Inc()
	if _, err := p.store.Apply(ctx, obs); err != nil && !errors.Is(err, store.ErrVersionConflict) && ctx.Err() == nil {
		p.cfg.Logger.Error("reschedule held-back check", "checkout_id", c.ID, "err", err)
	}
}
