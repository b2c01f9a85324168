package poller

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/paysync/paysync/store"
)

// metrics are the poller's Prometheus instruments.
type metrics struct {
	checks      *prometheus.CounterVec
	settlements *prometheus.CounterVec
	toTerminal  prometheus.Histogram
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		checks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "paysync_checks_total",
			Help: "Provider status checks, by provider and outcome (the state seen, or failed).",
		}, []string{"provider", "outcome"}),
		settlements: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "paysync_settlements_total",
			Help: "Checkouts that reached a terminal state, by provider, state and what revealed it.",
		}, []string{"provider", "state", "resolved_by"}),
		toTerminal: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "paysync_time_to_terminal_seconds",
			Help:    "Time from registration to the terminal state.",
			Buckets: prometheus.ExponentialBuckets(1, 4, 10),
		}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.checks, m.settlements, m.toTerminal} {
			if err := reg.Register(c); err != nil {
				return nil, err
			}
		}
	}
	return m, nil
}

// observe counts one applied check.
func (m *metrics) observe(before, after store.Checkout, r Report) {
	outcome := string(r.State)
	if r.Failure != "" || outcome == "" {
		outcome = "failed"
	}
	m.checks.WithLabelValues(before.Provider, outcome).Inc()
	if after.State.Terminal() && !before.State.Terminal() {
		m.settlements.WithLabelValues(before.Provider, string(after.State), after.ResolvedBy).Inc()
		m.toTerminal.Observe(after.UpdatedAt.Sub(after.CreatedAt).Seconds())
	}
}
