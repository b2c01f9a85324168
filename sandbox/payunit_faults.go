package sandbox

import (
	"net/http"
	"strconv"
	"time"
)

// Faults are failures injected into the status endpoint. Rates are
// probabilities in [0, 1]; 1 means every request.
type Faults struct {
	// Status5xxRate is the probability of answering 503 with an HTML page.
	Status5xxRate float64
	// Status429Rate is the probability of answering 429; the answer carries
	// Retry-After: RetryAfter (seconds) when RetryAfter > 0.
	Status429Rate float64
	RetryAfter    int
	// Delay is slept before answering; a request cancelled meanwhile gets
	// no answer.
	Delay time.Duration
	// MalformedRate is the probability of a 200 with a truncated JSON body.
	MalformedRate float64
}

// SetFaults replaces the faults applied to later status requests. The zero
// Faults turns them off.
func (p *PayUnit) SetFaults(f Faults) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults = f
}

// rolledFaults are the faults drawn for one request.
type rolledFaults struct {
	tooMany, unavailable, malformed bool
	retryAfter                      int
}

// rollFaults draws this request's faults from the seeded source.
func (p *PayUnit) rollFaults() rolledFaults {
	p.mu.Lock()
	defer p.mu.Unlock()
	f := p.faults
	return rolledFaults{
		tooMany:     f.Status429Rate > 0 && p.rng.Float64() < f.Status429Rate,
		unavailable: f.Status5xxRate > 0 && p.rng.Float64() < f.Status5xxRate,
		malformed:   f.MalformedRate > 0 && p.rng.Float64() < f.MalformedRate,
		retryAfter:  f.RetryAfter,
	}
}

// delay sleeps for the configured Delay and reports whether the request is
// still wanted.
func (p *PayUnit) delay(r *http.Request) bool {
	p.mu.Lock()
	d := p.faults.Delay
	p.mu.Unlock()
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}

// unavailablePage is what the proxy in front of PayUnit shows when it is down.
const unavailablePage = `<html>
<head><title>503 Service Temporarily Unavailable</title></head>
<body>
<center><h1>503 Service Temporarily Unavailable</h1></center>
<hr><center>nginx</center>
</body>
</html>
`

// writeFault answers with a 429 or a 503, 429 first.
func writeFault(w http.ResponseWriter, f rolledFaults) {
	if f.tooMany {
		if f.retryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(f.retryAfter))
		}
		writeJSON(w, http.StatusTooManyRequests, statusResponse{
			Status: StatusFailed, StatusCode: http.StatusTooManyRequests, Message: "Too Many Requests",
		})
		return
	}
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(http.StatusServiceUnavailable)
	_, _ = w.Write([]byte(unavailablePage))
}
