package plugin

import (
	"encoding/json"
	"time"
)

// State is the state a provider reports, in paysync's terms; the values
// are those of the store's states.
type State string

// The states a provider can report.
const (
	StatePending        State = "pending"
	StateActionRequired State = "action_required"
	StateSucceeded      State = "succeeded"
	StateFailed         State = "failed"
	StateCancelled      State = "cancelled"
)

// Terminal reports whether s is a final verdict.
func (s State) Terminal() bool {
	return s == StateSucceeded || s == StateFailed || s == StateCancelled
}

// Action is what the buyer must do while a checkout is action_required:
// the provider's redirect instructions, kept verbatim.
type Action struct {
	Instructions json.RawMessage
}

// Anomaly is something in an answer that blocks its verdict; Code is one
// of the store's anomaly codes (the Anomaly… constants below).
type Anomaly struct {
	Code   string
	Detail string
}

// The anomaly codes a provider raises (the store's codes of the same name).
const (
	AnomalyReferenceMismatch = "reference_mismatch"
	AnomalyModeMismatch      = "mode_mismatch"
	AnomalyCredentials       = "credentials_rejected"
	AnomalyConflict          = "conflict"
)

// Report is a provider's answer, translated to paysync's terms: its
// Finding is for the store; the other fields are hints for the schedule
// and the circuit breaker.
type Report struct {
	Finding

	RetryAfter time.Duration // the provider asked us to wait
	SlowDown   bool          // back off to the maximum interval (credentials rejected …)
	// NotFound says the provider doesn't know the checkout, perhaps not
	// yet: the poller re-checks it for a while, then raises not_found.
	NotFound bool
	// Stop says further checks are pointless until something wakes the
	// checkout (a refresh, the buyer's browser).
	Stop bool
	// Unavailable: the provider gave no usable answer (no connection,
	// timeout, 5xx, garbled or HTML body). It counts toward the endpoint's
	// circuit breaker; a 4xx verdict (429, 401, 404 …) does not.
	Unavailable bool
}

// Finding is what the provider said about a checkout: the provider-facing
// part of the store's Observation, with the same field names.
type Finding struct {
	State          State // "" when the check failed or the status is unknown
	ProviderStatus string
	ProviderRef    string
	Amount         string
	Currency       string
	Action         *Action
	Anomaly        *Anomaly // something that blocks the verdict
	Failure        string   // why the check failed; safe to show

	// VerifiedByReference says this provider reports no amount and the
	// checker identified the payment by the registered provider_ref.
	VerifiedByReference bool
}
