package poller

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/paysync/paysync/provider/plugin"
	"github.com/paysync/paysync/providers"
	"github.com/paysync/paysync/store"
)

// metrics are the poller's Prometheus instruments.
type metrics struct {
	checks      *prometheus.CounterVec
	heldBack    *prometheus.CounterVec
	settlements *prometheus.CounterVec
	verified    *prometheus.CounterVec
	toTerminal  prometheus.Histogram
	backlog     prometheus.Gauge
	lateness    prometheus.Histogram
	circuit     *prometheus.GaugeVec
	circuitMove *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		checks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "paysync_checks_total",
			Help: "Provider status checks, by provider and outcome: the state the provider reported (pending, action_required, succeeded, failed, cancelled), unavailable (no usable answer: network, timeout, 5xx, garbled body) or error (any other failed check: 429, rejected credentials, unknown status …).",
		}, []string{"provider", "outcome"}),
		heldBack: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "paysync_checks_held_back_total",
			Help: "Due checks not sent because the provider endpoint's circuit was open; the checkout was rescheduled.",
		}, []string{"provider"}),
		settlements: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "paysync_settlements_total",
			Help: "Checkouts that reached a terminal state, by provider, state and what revealed it (callback, poll, browser_return).",
		}, []string{"provider", "state", "resolved_by"}),
		verified: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "paysync_callbacks_verified_total",
			Help: "Checkouts that received a provider callback and then settled on the provider's status API.",
		}, []string{"provider"}),
		toTerminal: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "paysync_time_to_terminal_seconds",
			Help:    "Time from registration to the terminal state.",
			Buckets: prometheus.ExponentialBuckets(1, 4, 10),
		}),
		backlog: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "paysync_poller_backlog",
			Help: "Checkouts due for a check and not yet claimed, sampled by the poller at most once a second.",
		}),
		lateness: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "paysync_check_lateness_seconds",
			Help:    "How late checks start: claim time minus the time the check was due.",
			Buckets: prometheus.ExponentialBuckets(0.001, 4, 10),
		}),
		circuit: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "paysync_circuit_state",
			Help: "Circuit breaker state per provider endpoint (host of the base URL): 0 closed, 1 half-open, 2 open.",
		}, []string{"provider", "endpoint"}),
		circuitMove: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "paysync_circuit_transitions_total",
			Help: "Circuit breaker state changes per provider endpoint, by the state entered (open, half_open, closed).",
		}, []string{"provider", "endpoint", "to"}),
	}
	m.initLabels()
	if reg != nil {
		for _, c := range []prometheus.Collector{m.checks, m.heldBack, m.settlements, m.verified, m.toTerminal,
			m.backlog, m.lateness, m.circuit, m.circuitMove} {
			if err := reg.Register(c); err != nil {
				return nil, err
			}
		}
	}
	return m, nil
}

// Label values known in advance, so that every series exists at 0 before
// its first increment (an alert on a rate sees no data otherwise).
var (
	checkOutcomes = []string{string(store.StatePending), string(store.StateActionRequired), string(store.StateSucceeded),
		string(store.StateFailed), string(store.StateCancelled), "unavailable", "error"}
	settledStates = []store.State{store.StateSucceeded, store.StateFailed, store.StateCancelled}
	resolvers     = []string{store.SourceCallback, store.SourcePoll, store.SourceBrowserReturn}
)

// initLabels creates the series of every known label set. The circuit's
// endpoints are known at their first sighting (circuitChanged).
func (m *metrics) initLabels() {
	for _, p := range providers.Names() {
		m.heldBack.WithLabelValues(p)
		m.verified.WithLabelValues(p)
		for _, o := range checkOutcomes {
			m.checks.WithLabelValues(p, o)
		}
		for _, st := range settledStates {
			for _, r := range resolvers {
				m.settlements.WithLabelValues(p, string(st), r)
			}
		}
	}
}

// observe counts one applied check.
func (m *metrics) observe(before, after store.Checkout, r plugin.Report) {
	outcome := string(r.State)
	switch {
	case r.Unavailable:
		outcome = "unavailable"
	case r.Failure != "" || outcome == "":
		outcome = "error"
	}
	m.checks.WithLabelValues(before.Provider, outcome).Inc()
	if after.State.Terminal() && !before.State.Terminal() {
		m.settlements.WithLabelValues(before.Provider, string(after.State), after.ResolvedBy).Inc()
		m.toTerminal.Observe(after.UpdatedAt.Sub(after.CreatedAt).Seconds())
		if after.CallbackReceivedAt != nil {
			m.verified.WithLabelValues(before.Provider).Inc()
		}
	}
}

// circuitChanged follows the breaker's state changes.
func (m *metrics) circuitChanged(key string, from, to circuitState) {
	name, endpoint := plugin.SplitEndpoint(key)
	m.circuit.WithLabelValues(name, endpoint).Set(float64(to))
	if from == to { // first sighting of the endpoint: its transitions start at 0
		for _, s := range []circuitState{circuitOpen, circuitHalfOpen, circuitClosed} {
			m.circuitMove.WithLabelValues(name, endpoint, s.String())
		}
	}
	if from != to {
		m.circuitMove.WithLabelValues(name, endpoint, to.String()).Inc()
	}
}
