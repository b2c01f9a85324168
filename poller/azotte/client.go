// Package azotte is paysync's client of Azotte's C2A "Get Checkout Status"
// API, the only code that talks to Azotte. status.messageCode is the
// source of truth; redirectInstructions are kept verbatim for the hosted
// 3DS page.
package azotte

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Defaults of Client's fields.
const (
	DefaultMaxBody int64 = 1 << 20
	DefaultTimeout       = 10 * time.Second
)

// statusPath is appended to Credentials.BaseURL, around the tracking id.
const (
	statusPrefix = "/c2a/offer/checkout/"
	statusSuffix = "/status"
)

// Credentials of one merchant's Azotte account.
type Credentials struct {
	BaseURL  string // API root up to /api or /api/v1, e.g. https://acme.sandbox.azotte.com/api/v1
	TenantID string // sent as x-tn
	APIKey   string // sent as x-api-key
}

// Client calls Azotte's status API. Its zero value is usable.
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
		httpClient = &http.Client{
			Timeout: DefaultTimeout,
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		}
	}
	return &Client{HTTP: httpClient}
}

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
	ctx, cancel := context.WithTimeout(ctx, cmp.Or(c.Timeout, DefaultTimeout))
	defer cancel()
	req, err := newStatusRequest(ctx, creds, trackingID)
	if err != nil {
		return Result{}, &Error{Kind: KindRejected, Detail: "build request", Err: err}
	}
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return Result{}, &Error{Kind: KindTransient, Detail: "send request", Err: err}
	}
	defer resp.Body.Close()
	return c.readResponse(resp)
}

// readResponse turns resp into a Result or an *Error.
func (c *Client) readResponse(resp *http.Response) (Result, error) {
	wait := retryAfter(resp.Header, c.now())
	body, err := readBody(resp.Body, cmp.Or(c.MaxBody, DefaultMaxBody))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		e := &Error{Kind: kindForStatus(resp.StatusCode), HTTPStatus: resp.StatusCode, RetryAfter: wait,
			Detail: detailForStatus(resp.StatusCode)}
		if err == nil {
			e.describe(body)
		}
		return Result{}, e
	}
	if err != nil {
		return Result{}, &Error{Kind: KindTransient, HTTPStatus: resp.StatusCode,
			RetryAfter: wait, Detail: "read body", Err: err}
	}
	r, err := ParseStatus(body)
	if err != nil {
		return Result{}, &Error{Kind: KindTransient, HTTPStatus: resp.StatusCode,
			RetryAfter: wait, Detail: "malformed status response", Err: err}
	}
	r.RetryAfter, r.HTTPStatus = wait, resp.StatusCode
	return r, nil
}

// describe reads what an error body says: a messageCode (the 404 shape) or
// a problem document (the 409 shape). Unparsable bodies are ignored.
func (e *Error) describe(body []byte) {
	if r, err := ParseStatus(body); err == nil {
		e.MessageCode = r.MessageCode
		return
	}
	if p, err := ParseProblem(body); err == nil && (p.Title != "" || p.Detail != "" || p.Status != 0) {
		e.Problem = &p
	}
}

// errBodyTooLarge is wrapped when a response body exceeds Client.MaxBody.
var errBodyTooLarge = errors.New("response body too large")

// readBody reads at most max bytes of r; more is an error.
func readBody(r io.Reader, max int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("over %d bytes: %w", max, errBodyTooLarge)
	}
	return b, nil
}

// newStatusRequest builds the GET request for trackingID.
func newStatusRequest(ctx context.Context, creds Credentials, trackingID string) (*http.Request, error) {
	u, err := statusURL(creds.BaseURL, trackingID)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("new request: %w", err)
	}
	req.Header.Set("x-tn", creds.TenantID)
	req.Header.Set("x-api-key", creds.APIKey)
	req.Header.Set("Accept", "application/json")
	return req, nil
}

// statusURL returns {base}/c2a/offer/checkout/{escaped id}/status. The
// base must be an absolute http(s) URL without user info, query or
// fragment. Errors never quote the base URL, which might hold secrets.
func statusURL(base, id string) (string, error) {
	if id == "" || id == "." || id == ".." {
		return "", errors.New("status url: invalid tracking id")
	}
	u, err := url.Parse(base)
	if err != nil {
		return "", errors.New("status url: unparsable base URL")
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", errors.New("status url: base URL is not an absolute http(s) URL")
	}
	if u.User != nil || strings.ContainsAny(base, "?#") {
		return "", errors.New("status url: base URL has user info, query or fragment")
	}
	return strings.TrimRight(base, "/") + statusPrefix + url.PathEscape(id) + statusSuffix, nil
}

// httpClient returns c.HTTP, or a default client.
func (c *Client) httpClient() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return New(nil).HTTP
}

// now returns the current time from c.Now or time.Now.
func (c *Client) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}
