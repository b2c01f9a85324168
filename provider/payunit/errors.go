package payunit

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/paysync/paysync/provider/internal/statusapi"
	"github.com/paysync/paysync/provider/plugin"
)

// ErrMalformed is wrapped by every error caused by a body that cannot be
// understood: bad JSON, JSON of the wrong shape, a missing "data" object,
// a bad form encoding or an invalid amount. It is plugin.ErrMalformed.
var ErrMalformed = plugin.ErrMalformed

// ErrNoIdentifier is wrapped by ParseNotification's error when a callback
// body parses but names neither a transaction_id nor a checkout_id. It is
// plugin.ErrNoIdentifier.
var ErrNoIdentifier = plugin.ErrNoIdentifier

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
	return statusapi.ErrorText("payunit status", e.Kind.String(), e.HTTPStatus, e.Detail, e.Err)
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

// kindOfClass is the ErrorKind of each statusapi.Class.
var kindOfClass = [...]ErrorKind{
	statusapi.Transient: KindTransient,
	statusapi.Auth:      KindAuth,
	statusapi.NotFound:  KindNotFound,
	statusapi.Rejected:  KindRejected,
}

// newError turns f into an *Error.
func newError(f *statusapi.Failure) *Error {
	e := &Error{Kind: kindOfClass[f.Class], HTTPStatus: f.HTTPStatus, RetryAfter: f.RetryAfter,
		Detail: f.Detail, Err: f.Err}
	if f.HTTPStatus == http.StatusNotFound {
		e.Detail = "checkout not found"
	}
	return e
}
