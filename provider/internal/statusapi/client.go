// Package statusapi holds the mechanics shared by paysync's provider status
// clients (provider/payunit, provider/azotte): one bounded, non-redirecting GET
// to a provider's status API, the parsing of its Retry-After header and the
// classification of its HTTP status code. Each provider keeps its own
// request headers, error kinds and body parsing.
package statusapi

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// Defaults of Client's fields.
const (
	DefaultMaxBody int64 = 1 << 20
	DefaultTimeout       = 10 * time.Second
)

// ErrBodyTooLarge is wrapped by the Failure's Err when a response body
// exceeds Client.MaxBody.
var ErrBodyTooLarge = errors.New("response body too large")

// NewHTTPClient returns the default HTTP client of a status client: a
// DefaultTimeout timeout and no redirects followed (a 3xx is returned as the
// response, for the caller to reject).
func NewHTTPClient() *http.Client {
	return &http.Client{
		Timeout: DefaultTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// Client sends the GETs. Its zero value is usable. Its fields are those of
// the providers' public Client types, which convert to it.
type Client struct {
	// HTTP sends the requests; nil means NewHTTPClient().
	HTTP *http.Client
	// MaxBody bounds the response body read; 0 means DefaultMaxBody.
	MaxBody int64
	// Timeout bounds each call; 0 means DefaultTimeout.
	Timeout time.Duration
	// Now is the clock used for Retry-After dates; nil means time.Now.
	Now func() time.Time
}

// Response is a 2xx answer, its body read and closed.
type Response struct {
	StatusCode int
	// RetryAfter is parsed from the Retry-After header (see RetryAfter).
	RetryAfter time.Duration
	Body       []byte
}

// Malformed is the Failure of a 2xx answer whose body the provider's parser
// rejected with err: Transient, "malformed status response".
func (r Response) Malformed(err error) *Failure {
	return &Failure{Class: Transient, HTTPStatus: r.StatusCode, RetryAfter: r.RetryAfter,
		Detail: "malformed status response", Err: err}
}

// Get sends the GET that build returns for ctx, with a deadline of
// c.Timeout on top of ctx's, and reads at most c.MaxBody bytes of the
// answer. It returns the 2xx answer, or a Failure:
//   - Rejected, "build request": build failed;
//   - Transient, "send request": no answer came (timeout, network failure,
//     a redirect refused by the HTTP client's own policy);
//   - Classify(code), Detail(code): a non-2xx answer, with its body when it
//     could be read;
//   - Transient, "read body": the body of a 2xx answer could not be read or
//     was over MaxBody (then Err wraps ErrBodyTooLarge).
func (c Client) Get(ctx context.Context, build func(context.Context) (*http.Request, error)) (Response, *Failure) {
	return c.Send(ctx, build)
}

// Send is Get for whatever request build returns (a POST with its body:
// a provider's call that starts a payment), with the same deadline, read
// bound and Failures.
func (c Client) Send(ctx context.Context, build func(context.Context) (*http.Request, error)) (Response, *Failure) {
	ctx, cancel := context.WithTimeout(ctx, cmp.Or(c.Timeout, DefaultTimeout))
	defer cancel()
	req, err := build(ctx)
	if err != nil {
		return Response{}, &Failure{Class: Rejected, Detail: "build request", Err: err}
	}
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return Response{}, &Failure{Class: Transient, Detail: "send request", Err: err}
	}
	defer resp.Body.Close()
	code, wait := resp.StatusCode, RetryAfter(resp.Header, c.now())
	body, err := readBody(resp.Body, cmp.Or(c.MaxBody, DefaultMaxBody))
	switch {
	case code < 200 || code > 299:
		return Response{}, &Failure{Class: Classify(code), HTTPStatus: code, RetryAfter: wait,
			Detail: Detail(code), Body: body}
	case err != nil:
		return Response{}, &Failure{Class: Transient, HTTPStatus: code, RetryAfter: wait,
			Detail: "read body", Err: err}
	}
	return Response{StatusCode: code, RetryAfter: wait, Body: body}, nil
}

// readBody reads at most max bytes of r; more is an error.
func readBody(r io.Reader, max int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("over %d bytes: %w", max, ErrBodyTooLarge)
	}
	return b, nil
}

// httpClient returns c.HTTP, or a default client.
func (c Client) httpClient() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return NewHTTPClient()
}

// now returns the current time from c.Now or time.Now.
func (c Client) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}
