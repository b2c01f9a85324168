package main

import (
	"fmt"
	"time"
)

// printExternal writes the rows of the ingest and read measures, each
// load's rate with the service's CPU per request and its ratio to the
// no-op route of its method, and the targets of issue 14.
func printExternal(row func(name, result string, p50, p99 time.Duration, ratio, target string, met *bool), ptr func(bool) *bool, f externalFigures) {
	rate := func(r wrkResult) string {
		text := fmt.Sprintf("%.0f req/s, service CPU %v/req (wrk %v/req)", r.rate(), r.cpuPerReq(),
			(r.genCPU / time.Duration(max(r.requests, 1))).Round(time.Microsecond))
		if r.settled > 0 {
			text += fmt.Sprintf("; rate and CPU include %v waiting for the checks and drains it left", r.settled.Round(10*time.Millisecond))
		}
		return text
	}
	ratio := func(noop, r wrkResult) (string, float64) {
		v := r.rate() / noop.rate()
		return fmt.Sprintf("%s (CPU ratio %s)", pct(v), pct(float64(noop.cpuPerReq())/float64(max(r.cpuPerReq(), 1)))), v
	}
	load := func(name string, noop, r wrkResult, target float64) {
		if r.requests == 0 {
			return // not run (-loads)
		}
		text, v := ratio(noop, r)
		row(name, rate(r), r.p50, r.p99, text, fmt.Sprintf("≥ %.0f%%", target*100), ptr(v >= target))
	}
	base := func(name string, r wrkResult) {
		if r.requests > 0 {
			row(name, rate(r), r.p50, r.p99, "", "", nil)
		}
	}
	base("no-op POST, same Echo (separate process)", f.noopPost)
	load(fmt.Sprintf("callbacks naming pending checkouts (each wakes a check; %d seeded)", f.pool), f.noopPost, f.pending, 0.35)
	load(fmt.Sprintf("callbacks naming settled checkouts (PayUnit retrying; %d)", f.known), f.noopPost, f.settled, 0.40)
	load("callbacks naming unregistered transactions (early)", f.noopPost, f.early, 0.40)
	if op := f.open; op.sent > 0 {
		row(fmt.Sprintf("ack latency, open loop at %.0f/s (half the pending rate, or -open-rate; mix 80%% pending, 15%% settled, 5%% early)", op.rate),
			fmt.Sprintf("%d of %d acknowledged", op.acked, op.sent), op.ack50, op.ack99, "", "p99 ≤ 10ms", ptr(op.ack99 <= 10*time.Millisecond))
		row(fmt.Sprintf("callback → its status check at the sandbox, same open loop (%d pending)", op.pendingNamed),
			fmt.Sprintf("max %v", last(op.toCheck)), percentile(op.toCheck, 50), percentile(op.toCheck, 99), "", "p99 ≤ 50ms",
			ptr(percentile(op.toCheck, 99) <= 50*time.Millisecond))
	}
	row("acknowledged callbacks found committed (after the service stopped)", fmt.Sprintf("%d of %d", min(f.stored, f.acked), f.acked),
		0, 0, "", "all", ptr(f.stored >= f.acked))
	base("no-op GET, same Echo (separate process)", f.noopGet)
	load("status read GET /v1/checkouts/{id}", f.noopGet, f.reads, 0.60)
}

func last(sorted []time.Duration) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[len(sorted)-1].Round(10 * time.Microsecond)
}
