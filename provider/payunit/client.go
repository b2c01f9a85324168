// Package payunit is paysync's client of PayUnit's "get payment status" API,
// the only code that talks to PayUnit, and the parser of PayUnit's callback
// (notify_url) bodies, which are hints only.
package payunit

import (
	"context"
	"net/http"
	"time"

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

// Client calls PayUnit's status API. Its zero value is usable. Its fields
// are those of statusapi.Client, which does the GET.
type Client struct {
	// HTTP sends the requests; nil means New(nil).HTTP.
	HTTP *http.Client
	// MaxBody bounds the response body read; 0 means DefaultMaxBody.
	MaxBody int64
	// Timeout bounds each call; 0 means DefaultTimeout.
	Timeout time.Duration
	// Now is the clock used for Retry-After dates; nil means time.Now.
	Now func() time.Time
}

// New returns a Client sending requests with httpClient. A nil httpClient is
// replaced by one with a 10s timeout that does not follow redirects (a 3xx
// is then reported as KindRejected). A non-nil httpClient is used as is.
func New(httpClient *http.Client) *Client {
	if httpClient == nil {
		httpClient = statusapi.NewHTTPClient()
	}
	return &Client{HTTP: httpClient}
}

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
	resp, f := statusapi.Client(*c).Get(ctx, func(ctx context.Context) (*http.Request, error) {
		return newStatusRequest(ctx, creds, id)
	})
	if f != nil {
		return Result{}, newError(f)
	}
	r, err := ParseStatus(resp.Body)
	if err != nil {
		return Result{}, newError(resp.Malformed(err))
	}
	r.RetryAfter, r.HTTPStatus = resp.RetryAfter, resp.StatusCode
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
