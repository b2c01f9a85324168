package main

import (
	"fmt"
	"io"
	"time"
)

// issue23Cell is one backend's figure for a row of issue 23's table: the
// value as printed, its ratio to the no-op route of the same process and
// run, and the number PostgreSQL ÷ SQLite divides (0: no ratio).
type issue23Cell struct {
	value, vsNoop string
	num           float64
}

// printIssue23 writes issue 23's table once more, its rows only, one
// column per backend of the run (each beside its ratio to the no-op of
// the same run) and, with both backends, PostgreSQL ÷ SQLite: rates as
// PostgreSQL's share of SQLite's, latencies as how many times SQLite's.
func printIssue23(w io.Writer, fs []externalFigures) {
	if len(fs) == 0 {
		return
	}
	names := map[string]string{"sqlite": "SQLite", "postgres": "PostgreSQL"}
	lite, pg := -1, -1
	for i, f := range fs {
		switch f.backend {
		case "sqlite":
			lite = i
		case "postgres":
			pg = i
		}
	}
	both := lite >= 0 && pg >= 0
	fmt.Fprint(w, "\nissue 23's table, each backend beside its own no-op of this run\n\n| row |")
	for _, f := range fs {
		fmt.Fprintf(w, " %s | vs no-op |", names[f.backend])
	}
	if both {
		fmt.Fprint(w, " PostgreSQL ÷ SQLite |")
	}
	fmt.Fprint(w, " target |\n|---|")
	for range fs {
		fmt.Fprint(w, "---|---|")
	}
	if both {
		fmt.Fprint(w, "---|")
	}
	fmt.Fprintln(w, "---|")
	// row prints one row; rate says how PostgreSQL ÷ SQLite reads (a share
	// of SQLite's rate, or a multiple of SQLite's latency).
	row := func(name, target string, rate bool, cell func(f externalFigures) issue23Cell) {
		cells := make([]issue23Cell, len(fs))
		fmt.Fprintf(w, "| %s |", name)
		for i, f := range fs {
			cells[i] = cell(f)
			fmt.Fprintf(w, " %s | %s |", cells[i].value, cells[i].vsNoop)
		}
		if both {
			ratio := ""
			if a, b := cells[pg].num, cells[lite].num; a > 0 && b > 0 {
				ratio = pct(a / b)
				if !rate {
					ratio = fmt.Sprintf("%.2f×", a/b)
				}
			}
			fmt.Fprintf(w, " %s |", ratio)
		}
		fmt.Fprintf(w, " %s |\n", target)
	}
	load := func(r, noop wrkResult) issue23Cell {
		if r.requests == 0 || noop.requests == 0 {
			return issue23Cell{}
		}
		return issue23Cell{fmt.Sprintf("%.0f/s", r.rate()), pct(r.rate() / noop.rate()), r.rate()}
	}
	row("pending callbacks, sustained with their checks", "≥ 10%", true, func(f externalFigures) issue23Cell { return load(f.pending, f.noopPost) })
	row("… and with their webhooks too", "", true, func(f externalFigures) issue23Cell {
		if f.pending.requests == 0 {
			return issue23Cell{}
		}
		v := float64(f.pending.requests) / (f.pending.elapsed + f.hookWait).Seconds()
		return issue23Cell{fmt.Sprintf("%.0f/s", v), pct(v / f.noopPost.rate()), v}
	})
	row("CPU per pending callback (service + PostgreSQL's server)", "", false, func(f externalFigures) issue23Cell {
		if f.pending.requests == 0 {
			return issue23Cell{}
		}
		total := f.pending.cpuPerReq() + f.pending.dbCPUPerReq()
		text := total.String()
		if f.pending.dbCPU > 0 {
			text = fmt.Sprintf("%v + %v", f.pending.cpuPerReq(), f.pending.dbCPUPerReq())
		}
		return issue23Cell{text, fmt.Sprintf("%.1f× no-op's", float64(total)/float64(max(f.noopPost.cpuPerReq()+f.noopPost.dbCPUPerReq(), 1))), float64(total)}
	})
	row("settled callbacks (PayUnit retrying)", "≥ 30%", true, func(f externalFigures) issue23Cell { return load(f.settled, f.noopPost) })
	row("early callbacks", "≥ 30%", true, func(f externalFigures) issue23Cell { return load(f.early, f.noopPost) })
	row("reads", "≥ 90%", true, func(f externalFigures) issue23Cell { return load(f.reads, f.noopGet) })
	latency := func(p50, p99 time.Duration, f externalFigures) issue23Cell {
		if f.open.sent == 0 {
			return issue23Cell{}
		}
		text := p99.String()
		if p50 > 0 {
			text = p50.String() + " / " + p99.String()
		}
		vs := ""
		if f.open.noop99 > 0 {
			vs = fmt.Sprintf("%.1f× (%v)", float64(p99)/float64(f.open.noop99), f.open.noop99.Round(10*time.Microsecond))
		}
		return issue23Cell{text, vs, float64(p99)}
	}
	row("ack p99, open loop at half its own pending rate", "≤ 10 ms", false, func(f externalFigures) issue23Cell {
		c := latency(0, f.open.ack99, f)
		if c.value != "" {
			c.value += fmt.Sprintf(" at %.0f/s", f.open.rate)
		}
		return c
	})
	row("callback → check p99", "≤ 25 ms", false, func(f externalFigures) issue23Cell {
		return latency(0, percentile(f.open.toCheck, 99), f)
	})
	row("callback → webhook p50 / p99", "p99 ≤ 50 ms", false, func(f externalFigures) issue23Cell {
		return latency(percentile(f.open.toHook, 50), percentile(f.open.toHook, 99), f)
	})
	row("acknowledged callbacks committed (the audit)", "all", true, func(f externalFigures) issue23Cell {
		return issue23Cell{fmt.Sprintf("%d of %d", min(f.stored, f.acked), f.acked), "", 0}
	})
}
