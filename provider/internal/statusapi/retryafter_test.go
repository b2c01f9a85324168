package statusapi

import (
	"net/http"
	"testing"
	"time"
)

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	date := func(t time.Time) string { return t.Format(http.TimeFormat) }
	tests := []struct {
		name       string
		retryAfter string
		date       string
		want       time.Duration
	}{
		{"none", "", "", 0},
		{"seconds", "120", "", 2 * time.Minute},
		{"zero", "0", "", 0},
		{"seconds with spaces", " 7 ", "", 7 * time.Second},
		{"capped seconds", "99999999999999999999", "", MaxRetryAfter},
		{"beyond uint64", "18446744073709551616", "", MaxRetryAfter},
		{"negative", "-5", "", 0},
		{"plus sign", "+5", "", 0},
		{"garbage", "soon", "", 0},
		{"date relative to now", date(now.Add(90 * time.Second)), "", 90 * time.Second},
		{"date relative to Date header", date(now.Add(time.Hour)), date(now.Add(59 * time.Minute)), time.Minute},
		{"bad Date header falls back to now", date(now.Add(time.Minute)), "yesterday", time.Minute},
		{"past date", date(now.Add(-time.Hour)), "", 0},
		{"far date capped", date(now.Add(1000 * time.Hour)), "", MaxRetryAfter},
	}
	for _, tt := range tests {
		h := http.Header{}
		if tt.retryAfter != "" {
			h.Set("Retry-After", tt.retryAfter)
		}
		if tt.date != "" {
			h.Set("Date", tt.date)
		}
		if got := RetryAfter(h, now); got != tt.want {
			t.Errorf("%s: RetryAfter = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func FuzzRetryAfter(f *testing.F) {
	for _, v := range []string{"120", "0", "-1", "99999999999999999999", "Wed, 21 Oct 2015 07:28:00 GMT", "soon", " 7 "} {
		f.Add(v, "Wed, 21 Oct 2015 07:27:00 GMT")
	}
	now := time.Date(2015, 10, 21, 7, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, value, date string) {
		h := http.Header{}
		h.Set("Retry-After", value)
		h.Set("Date", date)
		d := RetryAfter(h, now)
		if d < 0 || d > MaxRetryAfter {
			t.Fatalf("RetryAfter(%q, Date %q) = %v, outside [0, %v]", value, date, d, MaxRetryAfter)
		}
	})
}
