package handlers

import (
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/paysync/paysync/provider/plugin"
	"github.com/paysync/paysync/providers"
	"github.com/paysync/paysync/store"
)

// metrics are the handlers' Prometheus instruments.
type metrics struct {
	callbacks *prometheus.CounterVec
	starts    *prometheus.CounterVec
}

// newMetrics registers the handlers' instruments on reg; nil reg gives
// instruments nobody collects.
func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		callbacks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "paysync_callbacks_received_total",
			Help: "Provider callbacks stored, by provider and whether their checkout was registered yet (early = not yet).",
		}, []string{"provider", "early"}),
		starts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "paysync_payment_starts_total",
			Help: "Calls that started a payment at a provider (POST /v1/checkouts with start), by outcome: started, refused, unknown (no usable answer).",
		}, []string{"provider", "outcome"}),
	}
	for _, p := range providers.All() { // every series exists before its first event
		for _, early := range []string{"false", "true"} {
			if p.ParseCallback != nil {
				m.callbacks.WithLabelValues(p.Name, early)
			}
		}
		for _, o := range []plugin.StartOutcome{plugin.StartOK, plugin.StartRefused, plugin.StartUnknown} {
			if p.Start != nil {
				m.starts.WithLabelValues(p.Name, string(o))
			}
		}
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.callbacks, m.starts} {
			if err := reg.Register(c); err != nil {
				return nil, err
			}
		}
	}
	return m, nil
}

// waitersGauge reports how many long-polls and event streams wait on f.
func waitersGauge(f *store.Feed) prometheus.Collector {
	return prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "paysync_checkout_waiters",
		Help: "Long-poll requests and event streams waiting for a checkout change.",
	}, func() float64 { return float64(f.Subscribers()) })
}

// metricsHandler serves GET /metrics from g.
func metricsHandler(g prometheus.Gatherer) echo.HandlerFunc {
	return echo.WrapHandler(promhttp.HandlerFor(g, promhttp.HandlerOpts{}))
}
