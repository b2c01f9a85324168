package poller

import (
	"context"

	"github.com/paysync/paysync/provider/plugin"
	"github.com/paysync/paysync/store"
)

// Checker asks one provider about one checkout: the seam between the
// scheduling here and the provider plug-ins (providers.Checker, built
// from the registry by the wiring).
type Checker interface {
	// Check returns what the provider says about c, for merchant m (with
	// credentials). Failures are reported in the Report, not as errors:
	// its Finding is for the store (Config.observation), the other fields
	// for the schedule (outcomeOf) and the circuit breaker (Unavailable).
	Check(ctx context.Context, m store.Merchant, c store.Checkout) plugin.Report
}

// CheckerFunc adapts a function to Checker (handy for tests).
type CheckerFunc func(ctx context.Context, m store.Merchant, c store.Checkout) plugin.Report

// Check calls f.
func (f CheckerFunc) Check(ctx context.Context, m store.Merchant, c store.Checkout) plugin.Report {
	return f(ctx, m, c)
}
