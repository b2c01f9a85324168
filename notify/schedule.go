package notify

import "time"

// retrySchedule is the wait before each retry (docs/architecture.md, "Webhooks"): after the
// first failed attempt 5s, then 5m … and after the eighth attempt, none.
var retrySchedule = []time.Duration{
	5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour,
}

// maxRetryAfter bounds how long an endpoint's Retry-After may push a retry.
const maxRetryAfter = 10 * time.Hour

// nextAttempt returns when to retry a delivery whose attempt number done
// (1 for the first) just failed: the schedule's step plus up to 10%
// jitter (jitter in [0, 1)), never sooner than the endpoint's Retry-After
// (bounded by maxRetryAfter). ok is false once the schedule is spent. It
// is pure.
func nextAttempt(now time.Time, done int, retryAfter time.Duration, jitter float64) (next time.Time, ok bool) {
	if done > len(retrySchedule) {
		return time.Time{}, false
	}
	step := retrySchedule[max(done, 1)-1]
	delay := step + time.Duration(float64(step)*jitter/10)
	delay = max(delay, min(retryAfter, maxRetryAfter))
	return now.Add(delay), true
}
