package poller

import (
	"context"
	"errors"
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

// breaker is a circuit breaker on two levels, so that failures confined to
// one merchant (or a few checkouts) never delay anybody else's checks while
// an outage of the provider still stops the traffic to it. The rule:
//
//   - Each (endpoint, merchant) pair has its own circuit. threshold
//     consecutive failed checks of that merchant's checkouts on the endpoint
//     (no answer, timeout, 5xx, garbled body: never a 4xx verdict) open it:
//     that merchant's checks on that endpoint are held back for cooldown,
//     then one probe goes (half-open); an answer closes it, a failure opens
//     it for another cool-down. Any usable answer for one of the merchant's
//     checkouts resets the count, so a few bad checkouts among working ones
//     open nothing.
//   - The endpoint (provider and base URL host) has a circuit over all
//     merchants. It opens only when more than half of the merchants active
//     on it (checked within activeFor) have their own circuit open: an
//     outage. Then every merchant's checks to it are held back for
//     cooldown, then one probe goes; an answer for anyone closes it. The
//     majority is counted again whenever a check asks: a merchant not
//     active when the endpoint opened (whose circuit is closed) can tip it
//     back, closing the endpoint's circuit, so that a merchant failing
//     while it was the only one checked can't hold back the next one.
//
// One merchant failing alone can therefore hold back only its own checks
// (with a single active merchant, its circuit and the endpoint's open
// together). The gauge and transitions (onChange) follow the endpoint's
// circuit. The clock is the caller's: every method takes now.
type breaker struct {
	threshold int
	cooldown  time.Duration
	activeFor time.Duration                           // how long a merchant counts as active after its last check
	onChange  func(key string, from, to circuitState) // endpoint circuits; also called once per new endpoint, closed to closed

	mu        sync.Mutex
	endpoints map[string]*endpointCircuits
}

// endpointCircuits is one endpoint's circuit and its merchants' circuits.
type endpointCircuits struct {
	circuit
	merchants map[string]*merchantCircuit
}

// merchantCircuit is one merchant's circuit on an endpoint.
type merchantCircuit struct {
	circuit
	seen time.Time // its last check
}

// circuit is one circuit's state.
type circuit struct {
	state    circuitState
	failures int       // consecutive, while closed
	retryAt  time.Time // open: when the next probe may go; half-open: when a lost probe is given up
}

// holds reports whether c holds a check back at now, and until when.
func (c *circuit) holds(now time.Time) (bool, time.Time) {
	if c.state == circuitClosed || !now.Before(c.retryAt) {
		return false, time.Time{}
	}
	return true, c.retryAt
}

func newBreaker(threshold int, cooldown time.Duration, onChange func(key string, from, to circuitState)) *breaker {
	if onChange == nil {
		onChange = func(string, circuitState, circuitState) {}
	}
	return &breaker{threshold: threshold, cooldown: cooldown, activeFor: max(10*cooldown, 5*time.Minute),
		onChange: onChange, endpoints: map[string]*endpointCircuits{}}
}

// circuits returns key's circuits and merchant's circuit there, creating
// them (announcing a new endpoint's gauge at closed when announce). The
// caller holds b.mu.
func (b *breaker) circuits(key, merchant string, announce bool) (*endpointCircuits, *merchantCircuit) {
	e := b.endpoints[key]
	if e == nil {
		e = &endpointCircuits{merchants: map[string]*merchantCircuit{}}
		b.endpoints[key] = e
		if announce {
			b.onChange(key, circuitClosed, circuitClosed) // first sighting: the endpoint's gauge starts at closed
		}
	}
	m := e.merchants[merchant]
	if m == nil {
		m = &merchantCircuit{}
		e.merchants[merchant] = m
	}
	return e, m
}

// allow reports whether a check of merchant's checkout on endpoint key may
// be sent at now. When it may not, retryAt is the earliest time worth
// trying again. The empty key (no known endpoint) is always allowed.
func (b *breaker) allow(key, merchant string, now time.Time) (ok bool, retryAt time.Time) {
	if key == "" {
		return true, time.Time{}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	e, m := b.circuits(key, merchant, true)
	m.seen = now
	if e.state != circuitClosed && !b.outage(e, now) {
		// A merchant the outage was not seen by is active now (or the
		// failing ones recovered): the evidence no longer holds.
		b.set(key, &e.circuit, circuitClosed)
	}
	if held, at := e.holds(now); held {
		return false, at
	}
	if held, at := m.holds(now); held {
		return false, at
	}
	// Cool-down over (open), or the probe never reported back (half-open):
	// this check is the probe of each circuit that isn't closed.
	if e.state != circuitClosed {
		b.set(key, &e.circuit, circuitHalfOpen)
		e.retryAt = now.Add(b.cooldown)
	}
	if m.state != circuitClosed {
		m.state, m.retryAt = circuitHalfOpen, now.Add(b.cooldown)
	}
	return true, time.Time{}
}

// record reports the outcome of a check of merchant's checkout that allow
// let through: failed means the endpoint did not answer usably.
func (b *breaker) record(key, merchant string, now time.Time, failed bool) {
	if key == "" {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	e, m := b.circuits(key, merchant, false)
	m.seen = now
	if !failed { // any answer proves the endpoint is back, and works for this merchant
		m.failures, m.state = 0, circuitClosed
		e.failures = 0
		b.set(key, &e.circuit, circuitClosed)
		return
	}
	switch m.state {
	case circuitHalfOpen:
		m.state, m.retryAt = circuitOpen, now.Add(b.cooldown)
	case circuitClosed:
		if m.failures++; m.failures >= b.threshold {
			m.failures, m.state, m.retryAt = 0, circuitOpen, now.Add(b.cooldown)
		}
	}
	// open: a late failure of a check sent before the circuit opened changes nothing
	switch {
	case e.state == circuitHalfOpen:
		e.retryAt = now.Add(b.cooldown)
		b.set(key, &e.circuit, circuitOpen)
	case e.state == circuitClosed && m.state == circuitOpen && b.outage(e, now):
		e.retryAt = now.Add(b.cooldown)
		b.set(key, &e.circuit, circuitOpen)
	}
}

// outage reports whether more than half of e's active merchants have
// their circuit open (or half-open), forgetting merchants no longer
// active whose circuit is closed. The caller holds b.mu.
func (b *breaker) outage(e *endpointCircuits, now time.Time) bool {
	active, failing := 0, 0
	for id, m := range e.merchants {
		if now.Sub(m.seen) > b.activeFor {
			if m.state == circuitClosed {
				delete(e.merchants, id)
			}
			continue
		}
		active++
		if m.state != circuitClosed {
			failing++
		}
	}
	return 2*failing > active
}

// set moves endpoint key's circuit c to state s, announcing a change. The
// caller holds b.mu.
func (b *breaker) set(key string, c *circuit, s circuitState) {
	if c.state != s {
		from := c.state
		c.state = s
		b.onChange(key, from, s)
	}
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
	if _, err := p.applier.Apply(ctx, obs); err != nil && !errors.Is(err, store.ErrVersionConflict) && ctx.Err() == nil {
		p.cfg.Logger.Error("reschedule held-back check", "checkout_id", c.ID, "err", err)
	}
}
