// Package payunit is paysync's client of PayUnit's "get payment status" API
// and of its "initialize" call that starts a payment, the only code that
// talks to PayUnit, and the parser of PayUnit's callback
// (notify_url) bodies, which are hints only.
package payunit

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
// checkout id.
var statusEndpoint = statusapi.Endpoint{Prefix: "/api/gateway/checkout/status/", IDName: "checkout id"}

// Credentials of one merchant's PayUnit account.
type Credentials struct {
	BaseURL     string // host root, e.g. https://gateway.payunit.net
	APIUser     string
	APIPassword string
	APIKey      string
	Mode        string // "live" or "test", sent as is in the mode header
}

// Client calls PayUnit's status API (Status) and its initialize call
// (Start); its zero value is usable. Its fields
// are statusapi.Client's: HTTP (nil: no redirects followed, a 10s
// timeout), MaxBody (0: DefaultMaxBody), Timeout (0: DefaultTimeout) and
// Now (the clock of Retry-After dates; nil: time.Now).
type Client statusapi.Client

// New returns a Client sending requests with httpClient, or with the
// default client when it is nil (a 3xx is then reported as KindRejected).
func New(httpClient *http.Client) *Client { return (*Client)(statusapi.New(httpClient)) }

// Status asks PayUnit for the status of checkout id with
// GET {BaseURL}/api/gateway/checkout/status/{id}.
//
// It returns the parsed Result of a 2xx response. Every error is an *Error:
// KindTransient for timeouts, network failures, 5xx, 408, 425, 429 and
// malformed, HTML or oversized bodies (including a 200 without a "data"
// object); KindAuth for 401 and 403; KindNotFound for 404; KindRejected for
// other 3xx/4xx and for requests that cannot be built (bad BaseURL, empty
// id). RetryAfter is filled from the Retry-After header of any response.
func (c *Client) Status(ctx context.Context, creds Credentials, id string) (Result, error) {
	return statusapi.Status(ctx, statusapi.Client(*c), statusapi.Call[Result]{
		Build: func(ctx context.Context) (*http.Request, error) {
			return statusEndpoint.NewRequest(ctx, creds.BaseURL, id, "x-api-key", creds.APIKey, "mode", creds.Mode,
				"Content-Type", "application/json", "Authorization", statusapi.BasicAuth(creds.APIUser, creds.APIPassword))
		},
		Parse: ParseStatus, Fail: func(f *statusapi.Failure) error { return newError(f) }, Stamp: stamp})
}

// stamp keeps the answer's status code and Retry-After in r.
func stamp(r *Result, a statusapi.Answer) { r.RetryAfter, r.HTTPStatus = a.RetryAfter, a.StatusCode }
