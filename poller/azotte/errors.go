package azotte

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// ErrMalformed is wrapped by every error caused by a body that cannot be
// understood: bad JSON, JSON of the wrong shape, a missing status.messageCode.
var ErrMalformed = errors.New("malformed body")

// ErrorKind tells the caller what to do about a failed status call.
type ErrorKind int

const (
	// KindTransient: timeout, network failure, 5xx, 408, 425, 429, or a
	// malformed or oversized body. Try again later (see RetryAfter).
	KindTransient ErrorKind = iota + 1
	// KindAuth: Azotte refused the tenant id or API key (401, 403).
	KindAuth
	// KindNotFound: Azotte does not know the tracking number for this
	// tenant (404, usually ORDERED_ITEM_NOT_FOUND). It may not have
	// propagated yet: re-check for a while, never treat it as a failure.
	KindNotFound
	// KindConflict: a state conflict (409 ProblemDetails), e.g. the
	// tracking number belongs to another tenant. See Error.Problem.
	KindConflict
	// KindRejected: any other 4xx, an unexpected redirect, or a request that
	// could not be built (bad base URL, empty tracking id).
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
	case KindConflict:
		return "conflict"
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
	// MessageCode is status.messageCode of an error body that has one
	// (ORDERED_ITEM_NOT_FOUND on a 404), else "".
	MessageCode string
	// Problem is the parsed RFC 9457 body of a 409 (or any error answered
	// with a problem document), nil if the body was not one.
	Problem *Problem
	Detail  string // short, safe text; never contains credentials
	Err     error  // underlying cause, may be nil
}

// Error returns "azotte status: <kind> (HTTP n): <detail>: <cause>".
func (e *Error) Error() string {
	s := "azotte status: " + e.Kind.String()
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

// kindForStatus classifies a non-2xx HTTP status code.
func kindForStatus(code int) ErrorKind {
	switch {
	case code == http.StatusUnauthorized, code == http.StatusForbidden:
		return KindAuth
	case code == http.StatusNotFound:
		return KindNotFound
	case code == http.StatusConflict:
		return KindConflict
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
		return "tracking number not found"
	case code == http.StatusConflict:
		return "state conflict"
	case code == http.StatusTooManyRequests:
		return "rate limited"
	case code >= 500:
		return "server error"
	default:
		return "request rejected"
	}
}
