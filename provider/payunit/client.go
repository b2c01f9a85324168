// Package payunit is paysync's client of PayUnit's "get payment status" API,
// the only code that talks to PayUnit, and the parser of PayUnit's callback
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

// Client calls PayUnit's status API. Its zero value is usable. It is a
// statusapi.Client, which does the GET: HTTP sends the requests (nil: a
// client with a 10s timeout that follows no redirects), MaxBody bounds the
// body read (0: DefaultMaxBody), Timeout bounds each call (0:
// DefaultTimeout), Now is the clock of Retry-After dates (nil: time.Now).
type Client statusapi.Client

// New returns a Client sending requests with httpClient. A nil httpClient is
// replaced by one with a 10s timeout that does not follow redirects (a 3xx
// is then reported as KindRejected). A non-nil httpClient is used as is.
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
	r, answer, f := statusapi.Fetch(ctx, statusapi.Client(*c), func(ctx context.Context) (*http.Request, error) {
		return newStatusRequest(ctx, creds, id)
	}, ParseStatus)
	if f != nil {
		return Result{}, newError(f)
	}
	r.RetryAfter, r.HTTPStatus = answer.RetryAfter, answer.StatusCode
	return r, nil
}

// newStatusRequest builds the GET request for checkout id.
func newStatusRequest(ctx context.Context, creds Credentials, id string) (*http.Request, error) {
	req, err := statusEndpoint.NewRequest(ctx, creds.BaseURL, id)
	if err != nil {
		return nil, err
	}
	req.Header.Set("x-api-key", creds.APIKey)
	req.Header.Set("mode", creds.Mode)
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth(creds.APIUser, creds.APIPassword)
	return req, nil
}
