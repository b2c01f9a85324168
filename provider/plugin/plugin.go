// Package plugin is the seam of paysync's payment providers: a Descriptor
// per provider (provider/payunit, provider/azotte) owns everything
// provider-specific, and the registry (package providers) lists them.
// This package defines the Descriptor and the terms a provider answers in
// (Report, Finding, Callback, Account), and imports nothing of paysync:
// the poller converts a Finding into the store's Observation, once.
package plugin

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Descriptor is one provider: its name and the functions that hold all
// that paysync knows of it. A field that does not apply is its zero value.
// A capability only some providers have (starting a payment) is a field
// that is nil for the others.
type Descriptor struct {
	// Name is the provider's name in the API and the database ("payunit").
	Name string
	// Title is the provider's name for people ("PayUnit").
	Title string
	// NewChecker returns the status checker of this provider, sending its
	// requests with hc (a guarded client; nil means the provider's own
	// default client).
	NewChecker func(hc *http.Client) Checker
	// Timeout is the bound of one status call, for the HTTP client the
	// wiring builds for NewChecker.
	Timeout time.Duration
	// FirstCheck is when a checkout registered at now is first checked;
	// grace is the service's poll grace (how long a callback is waited for).
	FirstCheck func(now time.Time, grace time.Duration) time.Time
	// ParseCallback parses a callback body of the given Content-Type with
	// the URL's query; nil when the provider sends no callbacks. Errors
	// wrap ErrMalformed or ErrNoIdentifier.
	ParseCallback func(contentType string, body []byte, query url.Values) (Callback, error)
	// CheckAccount returns what is wrong with a merchant's account at this
	// provider (a missing credential, an unknown mode), nil when nothing
	// is. The base URL's form is the caller's (the same rules for every
	// provider).
	CheckAccount func(Account) []FieldError
	// Registration says which identifier a checkout of this provider is
	// registered with.
	Registration Registration
	// Start starts a payment at the provider (PayUnit's initialize); nil
	// when paysync can't start payments there.
	Start StartFunc
}

// Registration is what a checkout of a provider needs at registration.
type Registration struct {
	NeedsReference   bool // the merchant's reference (PayUnit's transaction_id)
	NeedsProviderRef bool // the provider's own id (Azotte's tracking number)
}

// Endpoint returns the identity of the endpoint that acct's checks go to,
// for the circuit breaker and the metrics: the provider's name and the
// host of the account's base URL, "" when it has none.
func (d Descriptor) Endpoint(acct Account) string {
	u, err := url.Parse(acct.BaseURL)
	if err != nil || u.Host == "" {
		return ""
	}
	return d.Name + " " + u.Host
}

// SplitEndpoint returns the provider's name and the host of an Endpoint.
func SplitEndpoint(endpoint string) (name, host string) {
	name, host, _ = strings.Cut(endpoint, " ")
	return name, host
}

// AfterGrace is the FirstCheck of a provider whose callback usually comes
// first: the first check waits the poll grace.
func AfterGrace(now time.Time, grace time.Duration) time.Time { return now.Add(grace) }

// AtOnce is the FirstCheck of a provider whose answer is needed now (no
// callbacks, or a 3-D Secure step the buyer waits for).
func AtOnce(now time.Time, _ time.Duration) time.Time { return now }

// Checker asks one provider about one checkout. Failures are reported in
// the Report, never as errors.
type Checker interface {
	// Check returns what the provider says about c, asked with the
	// merchant's account acct.
	Check(ctx context.Context, acct Account, c Checkout) Report
}

// CheckerFunc adapts a function to Checker.
type CheckerFunc func(ctx context.Context, acct Account, c Checkout) Report

// Check calls f.
func (f CheckerFunc) Check(ctx context.Context, acct Account, c Checkout) Report {
	return f(ctx, acct, c)
}
