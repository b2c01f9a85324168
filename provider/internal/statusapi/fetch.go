package statusapi

import (
	"context"
	"net/http"
	"time"
)

// New returns a Client sending requests with hc. A nil hc is replaced by
// NewHTTPClient() (a DefaultTimeout timeout, no redirects followed, so a
// 3xx is reported as Rejected); a non-nil hc is used as is.
func New(hc *http.Client) *Client {
	if hc == nil {
		hc = NewHTTPClient()
	}
	return &Client{HTTP: hc}
}

// Answer is what a provider's result keeps of a 2xx answer besides its
// body.
type Answer struct {
	StatusCode int
	RetryAfter time.Duration // from the Retry-After header, 0 if none
}

// Fetch is the status call of every provider: Get with the request build
// returns, then parse of the 2xx body. It returns parse's result and the
// answer's status code and Retry-After, or the Failure: Get's, or
// Malformed when parse rejects the body.
func Fetch[R any](ctx context.Context, c Client, build func(context.Context) (*http.Request, error),
	parse func([]byte) (R, error)) (R, Answer, *Failure) {
	var zero R
	resp, f := c.Get(ctx, build)
	if f != nil {
		return zero, Answer{}, f
	}
	r, err := parse(resp.Body)
	if err != nil {
		return zero, Answer{}, resp.Malformed(err)
	}
	return r, Answer{StatusCode: resp.StatusCode, RetryAfter: resp.RetryAfter}, nil
}

// Call is what a provider's status call needs besides the Client: the
// request, the parser of a 2xx body, the provider's error for a Failure,
// and where its result keeps the answer's status code and Retry-After.
type Call[R any] struct {
	Build func(context.Context) (*http.Request, error)
	Parse func([]byte) (R, error)
	Fail  func(*Failure) error
	Stamp func(*R, Answer)
}

// Status is Fetch in the provider's terms: the stamped result, or the
// provider's error.
func Status[R any](ctx context.Context, c Client, call Call[R]) (R, error) {
	r, answer, f := Fetch(ctx, c, call.Build, call.Parse)
	if f != nil {
		return r, call.Fail(f)
	}
	call.Stamp(&r, answer)
	return r, nil
}
