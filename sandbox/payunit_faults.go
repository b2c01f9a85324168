package sandbox

import (
	"maps"
	mrand "math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

// Faults are failures injected into the status endpoint (SetFaults) or the
// initialize endpoint (SetInitializeFaults). Rates are
// probabilities in [0, 1]; 1 means every request. At most one fault is
// served per request, drawn in the order of the fields below.
type Faults struct {
	// TimeoutRate is the probability of never answering: the request hangs
	// until the client gives up (or HangLimit passes).
	TimeoutRate float64
	// Status429Rate is the probability of answering 429; the answer carries
	// Retry-After: RetryAfter (seconds) when RetryAfter > 0.
	Status429Rate float64
	RetryAfter    int
	// Status5xxRate is the probability of answering 503 with an HTML page.
	Status5xxRate float64
	// BadGatewayRate is the probability of a 502 with nginx's HTML page.
	BadGatewayRate float64
	// HTMLRate is the probability of a 200 whose body is an HTML page (a
	// captive portal or maintenance page in front of the API).
	HTMLRate float64
	// MalformedRate is the probability of a 200 with a truncated JSON body.
	MalformedRate float64
	// SlowBodyRate is the probability of sending the headers at once and
	// then the real body in slowBodyChunks pieces, SlowBodyPause apart.
	SlowBodyRate  float64
	SlowBodyPause time.Duration
	// Delay is slept before answering; a request cancelled meanwhile gets
	// no answer.
	Delay time.Duration
	// Seed, when non-zero, restarts the random source, so the same requests
	// in the same order draw the same faults.
	Seed uint64
}

// Names of the injected faults, as counted by FaultCounts.
const (
	FaultTimeout    = "timeout"
	FaultTooMany    = "429"
	FaultServer     = "503"
	FaultBadGateway = "502_html"
	FaultHTML       = "200_html"
	FaultMalformed  = "malformed"
	FaultSlowBody   = "slow_body"
)

// slowBodyChunks is how many pieces a slow body is sent in.
const slowBodyChunks = 8

// HangLimit bounds how long a timeout fault holds a request whose client
// never gives up, so a server can always shut down.
const HangLimit = 30 * time.Second

// SetFaults replaces the faults applied to later status requests. The zero
// Faults turns them off.
func (p *PayUnit) SetFaults(f Faults) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults = f
	if f.Seed != 0 {
		p.rng = mrand.New(mrand.NewPCG(f.Seed, f.Seed^0x9e3779b97f4a7c15))
	}
}

// SetInitializeFaults replaces the faults applied to later initialize
// requests. A timeout, a malformed or a slow body comes after the payment
// is created (PayUnit started it, its answer is lost); 429, 503, 502 and
// HTML pages come from in front of PayUnit, so nothing is created. The
// zero Faults turns them off.
func (p *PayUnit) SetInitializeFaults(f Faults) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.initFaults = f
	if f.Seed != 0 {
		p.rng = mrand.New(mrand.NewPCG(f.Seed, f.Seed^0x9e3779b97f4a7c15))
	}
}

// FaultCounts returns how many faults of each kind (Fault* names) were
// served since the PayUnit was created.
func (p *PayUnit) FaultCounts() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return maps.Clone(p.injected)
}

// rolledFaults are the faults drawn for one request: kind is "" or one of
// the Fault* names.
type rolledFaults struct {
	kind       string
	retryAfter int
	pause      time.Duration
}

// rollFaults draws this status request's fault from the seeded source and counts it.
func (p *PayUnit) rollFaults() rolledFaults {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.roll(p.faults)
}

// rollInitializeFaults draws this initialize request's fault and counts it.
func (p *PayUnit) rollInitializeFaults() rolledFaults {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.roll(p.initFaults)
}

// roll draws a fault of f from the seeded source and counts it. The
// caller holds p.mu.
func (p *PayUnit) roll(f Faults) rolledFaults {
	out := rolledFaults{retryAfter: f.RetryAfter, pause: f.SlowBodyPause}
	for _, c := range []struct {
		rate float64
		kind string
	}{
		{f.TimeoutRate, FaultTimeout}, {f.Status429Rate, FaultTooMany}, {f.Status5xxRate, FaultServer},
		{f.BadGatewayRate, FaultBadGateway}, {f.HTMLRate, FaultHTML}, {f.MalformedRate, FaultMalformed},
		{f.SlowBodyRate, FaultSlowBody},
	} {
		if c.rate > 0 && p.rng.Float64() < c.rate {
			out.kind = c.kind
			break
		}
	}
	if out.kind != "" {
		if p.injected == nil {
			p.injected = map[string]int{}
		}
		p.injected[out.kind]++
	}
	return out
}

// delay sleeps for the configured Delay and reports whether the request is
// still wanted.
func (p *PayUnit) delay(r *http.Request) bool {
	p.mu.Lock()
	d := p.faults.Delay
	p.mu.Unlock()
	return d <= 0 || wait(r, d)
}

// wait waits d and reports whether r is still wanted.
func wait(r *http.Request, d time.Duration) bool {
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

// badGatewayPage is nginx's page when PayUnit's application server is down.
const badGatewayPage = `<html>
<head><title>502 Bad Gateway</title></head>
<body>
<center><h1>502 Bad Gateway</h1></center>
<hr><center>nginx/1.18.0 (Ubuntu)</center>
</body>
</html>
`

// maintenancePage is a 200 that isn't the API: a maintenance page.
const maintenancePage = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>PayUnit - Maintenance</title></head>
<body><h1>We'll be back soon!</h1><p>PayUnit is undergoing scheduled maintenance.</p></body></html>
`

// writeFault answers with a fault that replaces the API's answer, and
// reports whether it did; malformed and slow bodies are the caller's.
func writeFault(w http.ResponseWriter, r *http.Request, f rolledFaults) bool {
	switch f.kind {
	case FaultTimeout:
		wait(r, HangLimit) // the client gives up first
	case FaultTooMany:
		if f.retryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(f.retryAfter))
		}
		writeJSON(w, http.StatusTooManyRequests, statusResponse{
			Status: StatusFailed, StatusCode: http.StatusTooManyRequests, Message: "Too Many Requests",
		})
	case FaultServer:
		writeHTML(w, http.StatusServiceUnavailable, unavailablePage)
	case FaultBadGateway:
		writeHTML(w, http.StatusBadGateway, badGatewayPage)
	case FaultHTML:
		writeHTML(w, http.StatusOK, maintenancePage)
	default:
		return false
	}
	return true
}

func writeHTML(w http.ResponseWriter, code int, page string) {
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(code)
	_, _ = w.Write([]byte(page))
}

// writeSlowly sends the headers, then body in pieces pause apart, stopping
// when the client goes away.
func writeSlowly(w http.ResponseWriter, r *http.Request, body []byte, pause time.Duration) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	step := max(len(body)/slowBodyChunks, 1)
	for len(body) > 0 {
		n := min(step, len(body))
		if _, err := w.Write(body[:n]); err != nil {
			return
		}
		body = body[n:]
		_ = rc.Flush()
		if len(body) > 0 && !wait(r, pause) {
			return
		}
	}
}
