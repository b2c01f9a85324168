// Package azotte is paysync's client of Azotte's C2A "Get Checkout Status"
// API, the only code that talks to Azotte. status.messageCode is the
// source of truth; redirectInstructions are kept verbatim for the hosted
// 3DS page.
package azotte

import (
	"context"
	"net/http"

	"github.com/paysync/paysync/provider/internal/statusapi"
)

// Defaults of Client's fields.
const (
	DefaultMaxBody = statusapi.DefaultMaxBody
	DefaultTimeout = statusapi.DefaultTimeout
)

// statusEndpoint is the status path below Credentials.BaseURL, around the
// tracking id.
var statusEndpoint = statusapi.Endpoint{Prefix: "/c2a/offer/checkout/", Suffix: "/status", IDName: "tracking id"}

// Credentials of one merchant's Azotte account.
type Credentials struct {
	BaseURL  string // API root up to /api or /api/v1, e.g. https://acme.sandbox.azotte.com/api/v1
	TenantID string // sent as x-tn
	APIKey   string // sent as x-api-key
}

// Client calls Azotte's status API; its zero value is usable. Its fields
// are statusapi.Client's: HTTP (nil: no redirects followed, a 10s
// timeout), MaxBody (0: DefaultMaxBody), Timeout (0: DefaultTimeout) and
// Now (the clock of Retry-After dates; nil: time.Now).
type Client statusapi.Client

// New returns a Client sending requests with httpClient, or with the
// default client when it is nil (a 3xx is then reported as KindRejected).
func New(httpClient *http.Client) *Client { return (*Client)(statusapi.New(httpClient)) }

// Status asks Azotte for the status of a checkout with
// GET {BaseURL}/c2a/offer/checkout/{trackingID}/status.
//
// It returns the parsed Result of a 2xx response. Every error is an *Error:
// KindTransient for timeouts, network failures, 5xx, 408, 425, 429 and
// malformed or oversized 2xx bodies; KindAuth for 401 and 403; KindNotFound
// for 404 (MessageCode tells ORDERED_ITEM_NOT_FOUND); KindConflict for 409
// (Problem holds the parsed ProblemDetails, when the body is one);
// KindRejected for other 3xx/4xx and for requests that cannot be built.
// RetryAfter is filled from the Retry-After header of any response.
func (c *Client) Status(ctx context.Context, creds Credentials, trackingID string) (Result, error) {
	return statusapi.Status(ctx, statusapi.Client(*c), statusapi.Call[Result]{
		Build: func(ctx context.Context) (*http.Request, error) {
			return statusEndpoint.NewRequest(ctx, creds.BaseURL, trackingID, "x-tn", creds.TenantID, "x-api-key", creds.APIKey)
		},
		Parse: ParseStatus, Fail: func(f *statusapi.Failure) error { return newError(f) },
		Stamp: func(r *Result, a statusapi.Answer) { r.RetryAfter, r.HTTPStatus = a.RetryAfter, a.StatusCode },
	})
}
