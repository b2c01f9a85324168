package statusapi

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// MaxRetryAfter caps the Retry-After delay, so that a hostile or broken
// header cannot park a checkout for years.
const MaxRetryAfter = 24 * time.Hour

// RetryAfter parses the Retry-After header of h: either delay-seconds or an
// HTTP-date. An HTTP-date is taken relative to the response's Date header
// when it has a valid one, else to now. It returns 0 for a missing, invalid
// or past value, and at most MaxRetryAfter.
func RetryAfter(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if strings.Trim(v, "0123456789") == "" { // all digits
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n > int64(MaxRetryAfter/time.Second) {
			return MaxRetryAfter // only overflow can fail on all-digit text
		}
		return time.Duration(n) * time.Second
	}
	at, err := http.ParseTime(v)
	if err != nil {
		return 0
	}
	if date, err := http.ParseTime(h.Get("Date")); err == nil {
		now = date
	}
	return min(max(at.Sub(now), 0), MaxRetryAfter)
}
