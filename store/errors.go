package store

import (
	"errors"
	"fmt"
)

// Error codes, mapped to HTTP statuses in one place by the handlers.
const (
	ENOTFOUND = "not_found" // no such object, or not the caller's
	ECONFLICT = "conflict"  // the object exists with other fields, or changed meanwhile
	EINVALID  = "invalid"   // the input breaks a rule
	ECONFIG   = "config"    // the service lacks a setting (master key …)
	EINTERNAL = "internal"  // anything else; never shown to clients
)

// Error is a domain error whose Message is safe to show to a client.
type Error struct {
	Code    string
	Message string
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
