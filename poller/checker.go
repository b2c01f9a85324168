package poller

import (
	"context"
	"time"

	"github.com/paysync/paysync/store"
)

// Checker asks one provider about one checkout. It is the seam between the
// scheduling here and the provider clients in provider/payunit and provider/azotte.
type Checker interface {
	// Check returns what the provider says about c, for merchant m (with
	// credentials). Failures are reported in the Report, not as errors.
	Check(ctx context.Context, m store.Merchant, c store.Checkout) Report
}

// Report is a provider's answer, translated to paysync's terms: the first
// hop of the verdict path (see Config.observation). Its Finding is for the
// store; the other fields are for the schedule (outcomeOf) and the circuit
// breaker (Unavailable).
type Report struct {
	Finding

	RetryAfter time.Duration // the provider asked us to wait
	SlowDown   bool          // back off to the maximum interval (credentials rejected …)
	// NotFound says the provider doesn't know the checkout, perhaps not
	// yet: it is re-checked until Config.NotFoundWindow after
	// registration, then anomaly not_found is raised and polling stops.
	NotFound bool
	// Stop says further checks are pointless until something wakes the
	// checkout (a refresh, the buyer's browser): no next check is planned.
	Stop bool
	// Unavailable: the provider gave no usable answer (no connection,
	// timeout, 5xx, garbled or HTML body). It counts toward the endpoint's
	// circuit breaker; a 4xx verdict (429, 401, 404 …) does not.
	Unavailable bool
}

// Finding is what the provider said about a checkout: the provider-facing
// part of a store.Observation, with the same field names. Config.observation
// copies it into the Observation that store.Apply decides on.
type Finding struct {
	State          store.State // "" when the check failed or the status is unknown
	ProviderStatus string
	ProviderRef    string
	Amount         string
	Currency       string
	Action         *store.Action
	Anomaly        *store.Anomaly // something that blocks the verdict
	Failure        string         // why the check failed; safe to show

	// VerifiedByReference says this provider reports no amount and the
	// checker identified the payment by the registered provider_ref (see
	// store.Observation.VerifiedByReference). Only AzotteChecker sets it.
	VerifiedByReference bool
}

// CheckerFunc adapts a function to Checker (handy for tests).
type CheckerFunc func(ctx context.Context, m store.Merchant, c store.Checkout) Report

// Check calls f.
func (f CheckerFunc) Check(ctx context.Context, m store.Merchant, c store.Checkout) Report {
	return f(ctx, m, c)
}
