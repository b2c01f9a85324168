package store

import (
	"errors"
	"fmt"
	"time"
)

// Error codes, mapped to HTTP statuses in one place by the handlers.
const (
	ENOTFOUND = "not_found" // no such object, or not the caller's
	ECONFLICT = "conflict"  // the object exists with other fields, or changed meanwhile
	EINVALID  = "invalid"   // the input breaks a rule
	ECONFIG   = "config"    // the service lacks a setting (master key …)
	ELIMIT    = "limit"     // the caller holds or sends too much; try again after Error.RetryAfter
	EINTERNAL = "internal"  // anything else; never shown to clients
)

// Error is a domain error whose Message is safe to show to a client.
type Error struct {
	Code    string
	Message string
	// RetryAfter, with ELIMIT, is when trying again may succeed.
	RetryAfter time.Duration
}

// Error implements error.
func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

// Errorf returns an *Error with a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, or EINTERNAL.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// RetryAfter returns the Error.RetryAfter of the first *Error in err's
// chain, and whether it is set.
func RetryAfter(err error) (time.Duration, bool) {
	var e *Error
	if errors.As(err, &e) && e.RetryAfter > 0 {
		return e.RetryAfter, true
	}
	return 0, false
}

// ErrorMessage returns the client-safe message of err, or "internal error".
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// ErrVersionConflict is returned by Apply when the checkout changed since it
// was claimed; the observation was not applied.
var ErrVersionConflict = &Error{Code: ECONFLICT, Message: "checkout changed or was re-claimed meanwhile"}

// ErrDamaged is in the chain of an error a backend returns when it found
// the database itself damaged (SQLite's "database disk image is
// malformed"): nothing about the write was wrong, so the inbox drain never
// moves an entry aside for it, and the backend refuses callbacks and
// readiness from then on.
var ErrDamaged = errors.New("the database is damaged")
