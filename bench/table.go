package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"time"
)

// printTable writes the run's one table, with the targets of issues 5 and
// 23 and whether each is met, then the claim query plan and the settings used.
func printTable(w io.Writer, o options, f figures) {
	po, tr, sc := f.poller, f.truth, f.scale
	host, _ := os.Hostname()
	fmt.Fprintf(w, "paysync bench: %s/%s, %d CPUs (GOMAXPROCS %d), %s, host %s, %s\n",
		runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version(), host, time.Now().UTC().Format(time.RFC3339))
	fmt.Fprintf(w, "SQLite WAL synchronous=FULL. Ingest and reads: the service in its own process, wrk -t2 -c%d from another, "+
		"%v per load in %d alternating rounds; the sandbox PayUnit and the open loop (vegeta) in the bench's process\n\n",
		o.concurrency, o.duration, o.rounds)
	fmt.Fprintln(w, "| measure | result | p50 | p99 | vs no-op | target | met |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|")
	withCPU := func(r result) string { return fmt.Sprintf("%.0f req/s, CPU %v/req", r.rate(), r.cpuPerReq()) }
	row := func(name, result string, p50, p99 time.Duration, ratio, target string, met *bool) {
		d := func(v time.Duration) string {
			if v == 0 {
				return ""
			}
			return v.String()
		}
		m := ""
		if met != nil {
			m = map[bool]string{true: "yes", false: "**no**"}[*met]
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s |\n", name, result, d(p50), d(p99), ratio, target, m)
	}
	ptr := func(b bool) *bool { return &b }
	if o.runs("ingest") {
		for _, ext := range f.external {
			printExternal(row, ptr, ext, len(f.external) > 1)
		}
		if len(f.external) > 1 {
			printBackends(row, ptr, f.external)
		}
	}
	if o.runs("poller") {
		row(fmt.Sprintf("poller: drain %d checkouts due at once", po.drained), fmt.Sprintf("%.0f checks/s, CPU %v/check", po.drainRate, po.drainCPU.Round(time.Microsecond)), 0, 0, "", "≥ 2,000/s", ptr(po.drainRate >= 2000))
		row(fmt.Sprintf("poller: lateness, %d checkouts due at %.0f/s", po.lateN, po.dueRate),
			fmt.Sprintf("%.0f checks/s, max %v", po.lateRate, po.lateMax), po.late50, po.late99, "", "p99 ≤ 250ms", ptr(po.late99 <= 250*time.Millisecond))
	}
	if o.runs("scale") {
		row(fmt.Sprintf("resident memory with %d pending (after GC)", sc.pending),
			fmt.Sprintf("%.0f MB RSS (Go heap %.0f MB)", sc.rssMB, sc.heapMB), 0, 0, "", "≤ 150 MB", ptr(sc.rssMB <= 150))
		row(fmt.Sprintf("claim statement (%d rows) with %d pending due", sc.claimBatch, sc.pending),
			fmt.Sprintf("max %v", sc.claimMax), sc.claim50, 0, "", "index, not scan", ptr(strings.Contains(sc.plan, "checkouts_due") && !strings.Contains(sc.plan, "SCAN checkouts")))
	}
	if sh := f.shared; sh.ran {
		for i, r := range sh.drainRates {
			ratio := ""
			if i > 0 && sh.drainRates[0] > 0 {
				ratio = fmt.Sprintf("%.2f× one instance", r/sh.drainRates[0])
			}
			row(fmt.Sprintf("PostgreSQL: drain %d checkouts due at once, %d instance(s)", sh.pending, i+1), fmt.Sprintf("%.0f checks/s", r), 0, 0, ratio, "", nil)
		}
		row("callback ingest (unregistered), SQLite", withCPU(sh.sqlite), sh.sqlite.pct(50), sh.sqlite.pct(99), "", "", nil)
		row("callback ingest (unregistered), PostgreSQL, same run", withCPU(sh.pg), sh.pg.pct(50), sh.pg.pct(99),
			fmt.Sprintf("%s of SQLite", pct(sh.pg.rate()/sh.sqlite.rate())), "", nil)
	}
	if so := f.scaleOut; so.ran {
		for _, r := range so.rows {
			ratio := ""
			if r.instances > 1 && so.rows[0].checksPS > 0 {
				ratio = fmt.Sprintf("%.2f× one instance", r.checksPS/so.rows[0].checksPS)
			}
			row(fmt.Sprintf("scale-out on PostgreSQL: %d due checkouts of %d merchants, checks answered in %v-%v, %d instance(s) of %d checks in flight",
				so.pending, so.merchant, so.latMin, so.latMax, r.instances, o.pollConcurrency),
				fmt.Sprintf("%.0f checks/s (%v); busiest merchant-second %d checks", r.checksPS, r.took.Round(10*time.Millisecond), r.maxSecond),
				0, 0, ratio, fmt.Sprintf("budget %.0f/s per merchant held", so.rate), ptr(float64(r.maxSecond) <= so.rate+float64(max(int(so.rate/10), 1))+1)) // rate + burst in any second
		}
	}
	if o.runs("truth") {
		row(fmt.Sprintf("time to truth, %d lost callbacks (payment → succeeded in API)", tr.n), fmt.Sprintf("max %v", tr.max), tr.p50, 0, "", "", nil)
	}
	if o.runs("ingest") {
		printIssue23(w, f.external)
	}
	if o.runs("scale") {
		fmt.Fprintf(w, "\nclaim query plan: %s\n", strings.ReplaceAll(sc.plan, "\n", "; "))
		fmt.Fprintf(w, "seeding %d pending checkouts took %v\n", sc.pending, sc.seedFor.Round(time.Millisecond))
	}
	fmt.Fprintf(w, "poll settings: grace %v, min interval %v, max interval %v, poller concurrency %d, per-merchant rate unlimited (bench: one merchant);"+
		" payments succeed at a random moment within %v of registration, callback lost\n",
		o.pollGrace, o.pollMin, o.pollMax, o.pollConcurrency, 2*o.pollGrace)
}

func reqRate(r result) string { return fmt.Sprintf("%.0f req/s", r.rate()) }

// The CPU ratio (no-op CPU per request / measured CPU per request) is the
// throughput ratio the two loads would have if the process had the
// machine to itself and were CPU-bound; when it is far above the
// throughput ratio, the measured path waits on something else (fsync, the
// single writer).

func pct(r float64) string { return fmt.Sprintf("%.1f%%", 100*r) }
