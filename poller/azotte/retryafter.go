package azotte

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxRetryAfter caps both the Retry-After header and
// followUpInstructions.retryAfterSeconds, so that a hostile or broken value
// cannot park a checkout for years.
const maxRetryAfter = 24 * time.Hour

// retryAfter parses the Retry-After header of h: delay-seconds or an
// HTTP-date (relative to the response's Date header when valid, else now).
// It returns 0 for a missing, invalid or past value, and at most
// maxRetryAfter. (The same rules as poller/payunit's.)
func retryAfter(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseUint(v, 10, 64); err == nil || isDigits(v) {
		if err != nil || n > uint64(maxRetryAfter/time.Second) {
			return maxRetryAfter // only overflow fails on all-digit text
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
	return min(max(at.Sub(now), 0), maxRetryAfter)
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}
