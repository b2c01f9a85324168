package payunit

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// ErrMalformed is wrapped by every error caused by a body that cannot be
// understood: bad JSON, JSON of the wrong shape, a missing "data" object,
// a bad form encoding or an invalid amount.
var ErrMalformed = errors.New("malformed body")

// ErrNoIdentifier is wrapped by ParseNotification's error when a callback
// body parses but names neither a transaction_id nor a checkout_id.
var ErrNoIdentifier = errors.New("no transaction_id or checkout_id")

// ErrInvalidAmount is wrapped by CanonicalAmount's errors.
var ErrInvalidAmount = errors.New("invalid amount")

// ErrorKind tells the caller what to do about a failed status call.
type ErrorKind int

const (
	// KindTransient: timeout, network failure, 5xx, 408, 425, 429, or a
	// malformed, HTML or oversized body. Try again later (see RetryAfter).
	KindTransient ErrorKind = iota + 1
	// KindAuth: PayUnit refused the credentials (401, 403).
	KindAuth
	// KindNotFound: PayUnit does not know the checkout id (404).
	KindNotFound
	// KindRejected: any other 4xx, an unexpected redirect, or a request that
	// could not be built (bad base URL, empty id). Retrying will not help.
	KindRejected
)

// String returns the kind's lower-case name.
func (k ErrorKind) String() string {
	switch k {
	case KindTransient:
		return "transient"
	case KindAuth:
		return "auth"
	case KindNotFound:
		return "not found"
	case KindRejected:
		return "rejected"
	default:
		return fmt.Sprintf("kind(%d)", int(k))
	}
}

// Error is the error returned by Client.Status.
type Error struct {
	Kind       ErrorKind
	HTTPStatus int           // 0 when no response was received
	RetryAfter time.Duration // from the Retry-After header, 0 if none
	Detail     string        // short, safe text; never contains credentials
	Err        error         // underlying cause, may be nil
}

// Error returns "payunit status: <kind> (HTTP n): <detail>: <cause>".
func (e *Error) Error() string {
	s := "payunit status: " + e.Kind.String()
	if e.HTTPStatus != 0 {
		s += fmt.Sprintf(" (HTTP %d)", e.HTTPStatus)
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// KindOf returns the ErrorKind of the first *Error in err's chain, or 0 if
// there is none.
func KindOf(err error) ErrorKind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return 0
}

// kindForStatus classifies a non-2xx HTTP status code.
func kindForStatus(code int) ErrorKind {
	switch {
	case code == http.StatusUnauthorized, code == http.StatusForbidden:
		return KindAuth
	case code == http.StatusNotFound:
		return KindNotFound
	case code == http.StatusRequestTimeout, code == http.StatusTooEarly,
		code == http.StatusTooManyRequests:
		return KindTransient
	case code >= 300 && code < 500:
		return KindRejected
	default:
		return KindTransient
	}
}

// detailForStatus is the fixed, safe Detail text of a non-2xx response.
func detailForStatus(code int) string {
	switch {
	case code >= 300 && code < 400:
		return "unexpected redirect"
	case code == http.StatusUnauthorized, code == http.StatusForbidden:
		return "credentials rejected"
	case code == http.StatusNotFound:
		return "checkout not found"
	case code == http.StatusTooManyRequests:
		return "rate limited"
	case code >= 500:
		return "server error"
	default:
		return "request rejected"
	}
}
