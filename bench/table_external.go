package main

import (
	"fmt"
	"time"
)

// printExternal writes the rows of the ingest and read measures, each
// load's rate with the service's CPU per request and its ratio to the
// no-op route of its method, and the targets of issue 23 (each row of its
// table: pending, settled and early callbacks, reads, and the open loop's
// ack, callback → check and callback → webhook p99, each latency beside
// the no-op route's p99 at the same rate).
func printExternal(row func(name, result string, p50, p99 time.Duration, ratio, target string, met *bool), ptr func(bool) *bool, f externalFigures, label bool) {
	if label {
		inner := row
		name := map[string]string{"sqlite": "SQLite", "postgres": "PostgreSQL"}[f.backend]
		row = func(n, result string, p50, p99 time.Duration, ratio, target string, met *bool) {
			inner(name+": "+n, result, p50, p99, ratio, target, met)
		}
	}
	rate := func(r wrkResult) string {
		text := fmt.Sprintf("%.0f req/s, service CPU %v/req (wrk %v/req)", r.rate(), r.cpuPerReq(),
			(r.genCPU / time.Duration(max(r.requests, 1))).Round(time.Microsecond))
		if r.dbCPU > 0 {
			text += fmt.Sprintf(" + PostgreSQL CPU %v/req", r.dbCPUPerReq())
		}
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
	load(fmt.Sprintf("callbacks naming pending checkouts, sustained with their checks (each wakes a check; %d seeded)", f.pool), f.noopPost, f.pending, 0.10)
	load(fmt.Sprintf("callbacks naming settled checkouts (PayUnit retrying; %d)", f.known), f.noopPost, f.settled, 0.30)
	load("callbacks naming unregistered transactions (early)", f.noopPost, f.early, 0.30)
	if op := f.open; op.sent > 0 {
		vsNoop := func(p99 time.Duration) string {
			if op.noop99 <= 0 {
				return ""
			}
			return fmt.Sprintf("%.1f× no-op p99 (%v at the same rate)", float64(p99)/float64(op.noop99), op.noop99.Round(10*time.Microsecond))
		}
		row(fmt.Sprintf("ack latency, open loop at %.0f/s (half the pending rate, or -open-rate; mix 80%% pending, 15%% settled, 5%% early)", op.rate),
			fmt.Sprintf("%d of %d acknowledged; no-op POST at the same rate p50 %v", op.acked, op.sent, op.noop50.Round(10*time.Microsecond)),
			op.ack50, op.ack99, vsNoop(op.ack99), "p99 ≤ 10ms", ptr(op.ack99 <= 10*time.Millisecond))
		c99 := percentile(op.toCheck, 99)
		row(fmt.Sprintf("callback → its status check at the sandbox, same open loop (%d pending)", op.pendingNamed),
			fmt.Sprintf("max %v", last(op.toCheck)), percentile(op.toCheck, 50), c99, vsNoop(c99), "p99 ≤ 25ms", ptr(c99 <= 25*time.Millisecond))
		h99 := percentile(op.toHook, 99)
		row(fmt.Sprintf("callback → its signed webhook verified at the merchant's endpoint, same open loop (%d pending)", op.pendingNamed),
			fmt.Sprintf("max %v", last(op.toHook)), percentile(op.toHook, 50), h99, vsNoop(h99), "p99 ≤ 50ms", ptr(h99 <= 50*time.Millisecond))
	}
	if f.pending.requests > 0 {
		// The pending loads' rate, had it waited for the webhooks too.
		withHooks := float64(f.pending.requests) / (f.pending.elapsed + f.hookWait).Seconds()
		row("pending callbacks sustained with their checks and their webhooks (the wait for the webhooks after each pending load added)",
			fmt.Sprintf("%.0f req/s; %v more waiting for %d webhooks received and verified at the merchant's endpoint",
				withHooks, f.hookWait.Round(10*time.Millisecond), f.hooks), 0, 0, pct(withHooks/f.noopPost.rate()), "", nil)
	}
	row("acknowledged callbacks found committed (after the service stopped)", fmt.Sprintf("%d of %d", min(f.stored, f.acked), f.acked),
		0, 0, "", "all", ptr(f.stored >= f.acked))
	base("no-op GET, same Echo (separate process)", f.noopGet)
	load("status read GET /v1/checkouts/{id}", f.noopGet, f.reads, 0.90)
}

func last(sorted []time.Duration) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[len(sorted)-1].Round(10 * time.Microsecond)
}

// printBackends writes PostgreSQL's figures as ratios to SQLite's of the
// same run (issue 21): callbacks verified per second (the pending load's
// rate, which includes the wait for every check it woke), acknowledged
// per second, the backlog's drain, the other loads, and the open loop.
func printBackends(row func(name, result string, p50, p99 time.Duration, ratio, target string, met *bool), ptr func(bool) *bool, fs []externalFigures) {
	var lite, pg *externalFigures
	for i := range fs {
		switch fs[i].backend {
		case "sqlite":
			lite = &fs[i]
		case "postgres":
			pg = &fs[i]
		}
	}
	if lite == nil || pg == nil {
		return
	}
	acked := func(r wrkResult) float64 {
		d := r.elapsed - r.settled
		if d <= 0 {
			return 0
		}
		return float64(r.requests) / d.Seconds()
	}
	vs := func(a, b float64) string {
		if b <= 0 {
			return ""
		}
		return pct(a / b)
	}
	both := func(a, b string) string { return "SQLite " + a + ", PostgreSQL " + b }
	if lite.pending.requests > 0 && pg.pending.requests > 0 {
		v := pg.pending.rate() / lite.pending.rate()
		row("PostgreSQL ÷ SQLite: pending callbacks verified/s (checked at the sandbox, inbox drained)",
			both(fmt.Sprintf("%.0f/s", lite.pending.rate()), fmt.Sprintf("%.0f/s", pg.pending.rate())), 0, 0, pct(v), "≥ 70%", ptr(v >= 0.70))
		row("PostgreSQL ÷ SQLite: pending callbacks acknowledged/s (during the load)",
			both(fmt.Sprintf("%.0f/s", acked(lite.pending)), fmt.Sprintf("%.0f/s", acked(pg.pending))), 0, 0, vs(acked(pg.pending), acked(lite.pending)), "", nil)
		row("PostgreSQL ÷ SQLite: backlog left by the pending loads (time to check and drain it)",
			both(lite.pending.settled.Round(10*time.Millisecond).String(), pg.pending.settled.Round(10*time.Millisecond).String()), 0, 0, "", "", nil)
		pgTotal := pg.pending.cpuPerReq() + pg.pending.dbCPUPerReq()
		row("PostgreSQL ÷ SQLite: CPU per pending callback (service, + PostgreSQL's server)", both(lite.pending.cpuPerReq().String(),
			fmt.Sprintf("%v + %v = %v", pg.pending.cpuPerReq(), pg.pending.dbCPUPerReq(), pgTotal)), 0, 0,
			vs(float64(lite.pending.cpuPerReq()), float64(pgTotal)), "", nil)
	}
	for _, l := range []struct {
		name   string
		lr, pr wrkResult
	}{{"settled callbacks/s", lite.settled, pg.settled}, {"early callbacks/s", lite.early, pg.early}, {"status reads/s", lite.reads, pg.reads}} {
		if l.lr.requests > 0 && l.pr.requests > 0 {
			row("PostgreSQL ÷ SQLite: "+l.name, both(fmt.Sprintf("%.0f", l.lr.rate()), fmt.Sprintf("%.0f", l.pr.rate())), 0, 0, vs(l.pr.rate(), l.lr.rate()), "", nil)
		}
	}
	if lite.open.sent > 0 && pg.open.sent > 0 {
		row("PostgreSQL: ack p99 at half its own pending rate (SQLite's beside it)",
			both(fmt.Sprintf("%v at %.0f/s", lite.open.ack99, lite.open.rate), fmt.Sprintf("%v at %.0f/s", pg.open.ack99, pg.open.rate)),
			pg.open.ack50, pg.open.ack99, "", "p99 ≤ 10ms", ptr(pg.open.ack99 <= 10*time.Millisecond))
	}
}
