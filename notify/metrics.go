package notify

import "github.com/prometheus/client_golang/prometheus"

// Delivery attempt outcomes, the label of paysync_webhook_deliveries_total.
const (
	outcomeDelivered = "delivered"
	outcomeRetry     = "retry"
	outcomeFailed    = "failed"
	outcomeDisabled  = "disabled"
)

type metrics struct {
	deliveries *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "paysync_webhook_deliveries_total",
		Help: "Merchant webhook attempts by outcome: delivered, retry (will try again), failed (schedule spent), disabled (endpoint gone).",
	}, []string{"outcome"})}
	for _, o := range []string{outcomeDelivered, outcomeRetry, outcomeFailed, outcomeDisabled} {
		m.deliveries.WithLabelValues(o)
	}
	if reg != nil {
		if err := reg.Register(m.deliveries); err != nil {
			return nil, err
		}
	}
	return m, nil
}
