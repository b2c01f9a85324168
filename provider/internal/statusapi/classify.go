package statusapi

import "net/http"

// Class is what a non-2xx HTTP status code of a status API means to the
// caller. Providers map it to their own error kinds, and may single out
// codes of their own first (Azotte's 409).
type Class int

const (
	// Transient: 5xx, 408, 425, 429 and any code outside 3xx/4xx. Try
	// again later.
	Transient Class = iota + 1
	// Auth: the credentials were refused (401, 403).
	Auth
	// NotFound: the provider does not know the id (404).
	NotFound
	// Rejected: any other 3xx (an unexpected redirect) or 4xx. Retrying
	// will not help.
	Rejected
)

// Classify returns the Class of a non-2xx HTTP status code.
func Classify(code int) Class {
	switch {
	case code == http.StatusUnauthorized, code == http.StatusForbidden:
		return Auth
	case code == http.StatusNotFound:
		return NotFound
	case code == http.StatusRequestTimeout, code == http.StatusTooEarly,
		code == http.StatusTooManyRequests:
		return Transient
	case code >= 300 && code < 500:
		return Rejected
	default:
		return Transient
	}
}

// Detail is a fixed, safe text for a non-2xx HTTP status code, for an
// error's Detail. Providers word 404 (and codes they single out) themselves.
func Detail(code int) string {
	switch {
	case code >= 300 && code < 400:
		return "unexpected redirect"
	case code == http.StatusUnauthorized, code == http.StatusForbidden:
		return "credentials rejected"
	case code == http.StatusNotFound:
		return "not found"
	case code == http.StatusTooManyRequests:
		return "rate limited"
	case code >= 500:
		return "server error"
	default:
		return "request rejected"
	}
}
