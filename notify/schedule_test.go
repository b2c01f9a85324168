package notify

import (
	"testing"
	"time"
)

func TestNextAttempt(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name       string
		done       int
		retryAfter time.Duration
		jitter     float64
		want       time.Duration
		ok         bool
	}{
		{"after the first attempt", 1, 0, 0, 5 * time.Second, true},
		{"second", 2, 0, 0, 5 * time.Minute, true},
		{"third", 3, 0, 0, 30 * time.Minute, true},
		{"fourth", 4, 0, 0, 2 * time.Hour, true},
		{"fifth", 5, 0, 0, 5 * time.Hour, true},
		{"sixth", 6, 0, 0, 10 * time.Hour, true},
		{"seventh", 7, 0, 0, 10 * time.Hour, true},
		{"eighth attempt failed: give up", 8, 0, 0, 0, false},
		{"jitter adds at most a tenth", 2, 0, 0.999, 5*time.Minute + 29970*time.Millisecond, true},
		{"Retry-After longer than the step wins", 1, time.Hour, 0, time.Hour, true},
		{"Retry-After shorter than the step is ignored", 3, time.Minute, 0, 30 * time.Minute, true},
		{"Retry-After is bounded", 1, 100 * time.Hour, 0, 10 * time.Hour, true},
		{"schedule spent even with Retry-After", 8, time.Minute, 0, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			next, ok := nextAttempt(now, tc.done, tc.retryAfter, tc.jitter)
			if ok != tc.ok || (ok && next.Sub(now) != tc.want) {
				t.Fatalf("nextAttempt(done=%d, retryAfter=%v, jitter=%v) = %v, %v; want +%v, %v",
					tc.done, tc.retryAfter, tc.jitter, next.Sub(now), ok, tc.want, tc.ok)
			}
		})
	}
}

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"":                              0,
		"120":                           2 * time.Minute,
		"-5":                            0,
		"soon":                          0,
		"Sat, 01 Mar 2025 13:00:00 GMT": time.Hour,
		"Sat, 01 Mar 2025 11:00:00 GMT": 0,
	} {
		if got := parseRetryAfter(in, now); got != want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", in, got, want)
		}
	}
}
