package statusapi

import (
	"fmt"
	"time"

	"github.com/paysync/paysync/provider/plugin"
)

// Failed is a provider's failed status call, in the terms every checker
// reports it in (see FailureReport).
type Failed struct {
	Transient  bool // the provider's transient kind: try again later
	Auth       bool // the credentials were refused
	Rejected   bool // any other refusal: retrying will not help
	Kind       string
	HTTPStatus int // 0 when no answer came
	RetryAfter time.Duration
	Detail     string
	// Refused names who refused what on Auth, for the anomaly's detail:
	// "PayUnit refused the merchant's credentials".
	Refused string
}

// NoAnswer is the report of a status call that failed without the
// provider's error: no usable answer.
func NoAnswer() plugin.Report {
	return plugin.Report{Finding: plugin.Finding{Failure: "status check failed"}, Unavailable: true}
}

// FailureReport is the plugin.Report of f: its Detail (else its kind) as
// the failure, its Retry-After, Unavailable when no usable answer came (no
// answer, 5xx, or a 2xx that isn't the provider's JSON; 408, 425 and 429
// are the provider pacing us, not failing: the circuit breaker counts
// only the first), credentials_rejected and a slow-down on Auth, a
// slow-down on Rejected. The provider adds what it knows better.
func FailureReport(f Failed) plugin.Report {
	r := plugin.Report{Finding: plugin.Finding{Failure: f.Detail}, RetryAfter: f.RetryAfter}
	r.Unavailable = f.Transient && (f.HTTPStatus == 0 || f.HTTPStatus >= 500 || f.HTTPStatus < 300)
	if r.Failure == "" {
		r.Failure = f.Kind
	}
	switch {
	case f.Auth:
		r.Anomaly = &plugin.Anomaly{Code: plugin.AnomalyCredentials,
			Detail: fmt.Sprintf("%s (HTTP %d)", f.Refused, f.HTTPStatus)}
		r.SlowDown = true
	case f.Rejected:
		r.SlowDown = true
	}
	return r
}
