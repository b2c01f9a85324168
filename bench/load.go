package main

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// result is what one load measured.
type result struct {
	n, errors int
	elapsed   time.Duration
	lat       []time.Duration // sorted
	firstErr  error
	cpu       time.Duration // CPU time the whole process used meanwhile
}

// cpuPerReq is the process CPU time (server and load generator) per
// answered request: unlike req/s, it barely moves when other work on the
// machine takes CPU away.
func (r result) cpuPerReq() time.Duration {
	if r.n == 0 {
		return 0
	}
	return (r.cpu / time.Duration(r.n)).Round(time.Microsecond)
}

// processCPU returns the user+system CPU time this process used so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func (r result) rate() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(r.n) / r.elapsed.Seconds()
}

func (r result) pct(p float64) time.Duration {
	return percentile(r.lat, p)
}

// percentile of sorted durations, rounded for printing.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[int(float64(len(sorted)-1)*p/100)].Round(10 * time.Microsecond)
}

// merge adds o's counts and latencies to r; sort r.lat afterwards.
func (r *result) merge(o result) {
	r.n += o.n
	r.errors += o.errors
	r.elapsed += o.elapsed
	r.cpu += o.cpu
	r.lat = append(r.lat, o.lat...)
	if r.firstErr == nil {
		r.firstErr = o.firstErr
	}
}

// request describes one HTTP call of a load; i numbers the calls.
type request func(i int) (method, path, auth, body string)

// client is the load generator's HTTP client: keep-alive connections, one
// per concurrent caller.
func newClient(conns int) *http.Client {
	return &http.Client{Timeout: 30 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: conns, MaxIdleConns: conns, MaxConnsPerHost: conns}}
}

// do sends one request and expects 200.
func do(cl *http.Client, base string, mk request, i int) error {
	method, path, auth, body := mk(i)
	req, err := http.NewRequest(method, base+path, strings.NewReader(body))
	if err != nil {
		return err
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if auth != "" {
		req.Header.Set("Authorization", "Bearer "+auth)
	}
	resp, err := cl.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: status %d", method, path, resp.StatusCode)
	}
	return nil
}

// closedLoop runs concurrency callers, each sending its next request as
// soon as the previous one is answered, for d.
func closedLoop(base string, d time.Duration, concurrency int, mk request) result {
	cl := newClient(concurrency)
	defer cl.CloseIdleConnections()
	var seq atomic.Int64
	var mu sync.Mutex
	var all result
	cpu0 := processCPU()
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for range concurrency {
		wg.Go(func() {
			var local result
			for time.Now().Before(deadline) {
				t0 := time.Now()
				if err := do(cl, base, mk, int(seq.Add(1))); err != nil {
					local.errors++
					local.firstErr = cmpErr(local.firstErr, err)
					continue
				}
				local.lat = append(local.lat, time.Since(t0))
				local.n++
			}
			mu.Lock()
			all.merge(local)
			mu.Unlock()
		})
	}
	wg.Wait()
	all.elapsed = time.Since(start)
	all.cpu = processCPU() - cpu0
	slices.Sort(all.lat)
	return all
}

func cmpErr(old, err error) error {
	if old != nil {
		return old
	}
	return err
}

// paired alternates the baseline and the measured load over rounds, so
// that load from elsewhere on the machine hits both alike, and returns
// both totals.
func paired(base string, d time.Duration, rounds, concurrency int, baseline, measured request) (result, result) {
	var a, b result
	for range rounds {
		a.merge(closedLoop(base, d/time.Duration(rounds), concurrency, baseline))
		b.merge(closedLoop(base, d/time.Duration(rounds), concurrency, measured))
	}
	slices.Sort(a.lat)
	slices.Sort(b.lat)
	return a, b
}
