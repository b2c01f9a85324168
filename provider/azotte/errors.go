package azotte

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/paysync/paysync/provider/internal/statusapi"
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
	return statusapi.ErrorText("azotte status", e.Kind.String(), e.HTTPStatus, e.Detail, e.Err)
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// kindOfClass is the ErrorKind of each statusapi.Class.
var kindOfClass = [...]ErrorKind{
	statusapi.Transient: KindTransient,
	statusapi.Auth:      KindAuth,
	statusapi.NotFound:  KindNotFound,
	statusapi.Rejected:  KindRejected,
}

// newError turns f into an *Error: a 409 is a KindConflict, and the body
// of a non-2xx answer is described (see describe).
func newError(f *statusapi.Failure) *Error {
	e := &Error{Kind: kindOfClass[f.Class], HTTPStatus: f.HTTPStatus, RetryAfter: f.RetryAfter,
		Detail: f.Detail, Err: f.Err}
	switch f.HTTPStatus {
	case http.StatusNotFound:
		e.Detail = "tracking number not found"
	case http.StatusConflict:
		e.Kind, e.Detail = KindConflict, "state conflict"
	}
	if f.Body != nil {
		e.describe(f.Body)
	}
	return e
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
