package statusapi

import (
	"fmt"
	"time"
)

// Failure is why a status call gave no 2xx body to parse, in the terms
// shared by the providers; each turns it into its own error type, mapping
// Class to its error kinds and rewording or reclassifying the codes it
// knows better (a 404's Detail, Azotte's 409).
type Failure struct {
	Class      Class
	HTTPStatus int           // 0 when no answer was received
	RetryAfter time.Duration // from the Retry-After header, 0 if none
	Detail     string        // short, safe text; never contains credentials
	Err        error         // underlying cause; nil for a non-2xx answer
	// Body is the body of a non-2xx answer; nil when it could not be read
	// or was over Client.MaxBody.
	Body []byte
}

// ErrorText is the text of a provider's status error:
// "<api>: <kind> (HTTP n): <detail>: <cause>", without the parts that are
// zero.
func ErrorText(api, kind string, httpStatus int, detail string, cause error) string {
	s := api + ": " + kind
	if httpStatus != 0 {
		s += fmt.Sprintf(" (HTTP %d)", httpStatus)
	}
	if detail != "" {
		s += ": " + detail
	}
	if cause != nil {
		s += ": " + cause.Error()
	}
	return s
}
