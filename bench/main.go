// Command bench measures paysync on this machine and prints one table:
// callback ingest and status reads as ratios to a no-op Echo route served
// by the same process, acknowledgement latency at half the ingest rate
// (open loop) with callback → status check and callback → webhook (the
// bench merchant's endpoint verifies every signed delivery), poller throughput and lateness against a sandbox PayUnit,
// memory and claim time with many pending checkouts, and the time from a
// payment whose callback was lost to `succeeded` in the API. Everything
// runs in one process on a fresh temporary database (WAL,
// synchronous=FULL), served over real HTTP on 127.0.0.1; the load
// generator shares the machine.
//
//	go run ./bench                 # full run (a few minutes)
//	go run ./bench -quick          # CI-sized run (seconds)
//	go run ./bench -only ingest -backends sqlite,postgres -pg-stats   # PostgreSQL beside SQLite (issue 21)
//	go run ./bench -only scaleout -poll-concurrency 16              # 1, 2, 3 instances on PostgreSQL
package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"

	"golang.org/x/time/rate"
)

// options are the bench's flags.
type options struct {
	duration          time.Duration // per closed-loop load (split over rounds), and the open-loop run
	rounds            int           // alternations of baseline and measured load
	concurrency       int
	known             int // settled checkouts named by callbacks and read
	pending           int // backlog drained by the poller
	dueRate           float64
	lateFor           time.Duration
	scale             int
	truthN            int
	pollConcurrency   int
	pollGrace         time.Duration
	pollMin           time.Duration
	pollMax           time.Duration
	quick             bool
	only              map[string]bool // measures to run; empty: all
	memprofile        string          // heap profile written with many pending checkouts loaded
	postgres          string          // a PostgreSQL server's URL for the shared-database measures ("" skips them)
	loads             map[string]bool // kinds of ingest and read load to run; empty: all
	openRate          float64         // the open loop's rate; 0: half the pending callbacks' closed-loop rate
	keep              bool            // keep the ingest measure's database and service log
	backends          []string        // the ingest measure's backends: sqlite, postgres
	pgStats           bool            // load pg_stat_statements in the throwaway cluster and print the top statements
	merchantRate      rate.Limit      // the instances' per-merchant check budget (0: unlimited)
	latMin, latMax    time.Duration   // the scale-out measure's status check latency
	scaleOutPending   int             // the scale-out measure's backlog
	scaleOutMerchants int
	scaleOutRate      float64
}

// runs reports whether the measure named is part of this run.
func (o options) runs(name string) bool { return len(o.only) == 0 || o.only[name] }

// drives reports whether the ingest measure runs the load named.
func (o options) drives(name string) bool { return len(o.loads) == 0 || o.loads[name] }

func parseFlags(args []string) (options, string, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	var o options
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "length of each closed-loop load and of the open-loop run")
	fs.IntVar(&o.rounds, "rounds", 5, "alternations of no-op and measured load (spreads outside noise over both)")
	fs.IntVar(&o.concurrency, "concurrency", 64, "concurrent clients of the closed-loop loads")
	fs.IntVar(&o.known, "known", 100, "registered checkouts that callbacks name and reads read")
	fs.IntVar(&o.pending, "pending", 100_000, "pending checkouts all due at once for the poller to drain")
	fs.Float64Var(&o.dueRate, "due-rate", 2000, "checkouts falling due per second in the lateness run")
	fs.DurationVar(&o.lateFor, "late-for", 10*time.Second, "length of the lateness run")
	fs.IntVar(&o.scale, "scale", 1_000_000, "pending checkouts for the memory and claim-query figures")
	fs.IntVar(&o.truthN, "truth", 10, "lost-callback payments timed to the truth")
	fs.IntVar(&o.pollConcurrency, "poll-concurrency", 64, "poller checks in flight (production default 16)")
	fs.DurationVar(&o.pollGrace, "poll-grace", 2*time.Second, "first fallback check after registration (production default 60s)")
	fs.DurationVar(&o.pollMin, "poll-min-interval", time.Second, "shortest gap between checks of one checkout (production default 5s)")
	fs.DurationVar(&o.pollMax, "poll-max-interval", 10*time.Minute, "backoff ceiling")
	fs.BoolVar(&o.quick, "quick", false, "CI-sized run: short loads, small backlogs")
	fs.StringVar(&o.postgres, "postgres", os.Getenv("PAYSYNC_TEST_POSTGRES"), "URL of a PostgreSQL server (a role that may create databases) for the shared-database measures; empty skips them ($PAYSYNC_TEST_POSTGRES)")
	only := fs.String("only", "", "comma-separated subset of ingest,reads,truth,poller,scale,shared,scaleout (default: all but scaleout, which runs only when named); for profiling one part")
	loads := fs.String("loads", "", "comma-separated subset of the ingest measure's loads: pending,settled,early,read,open (default: all; for profiling one)")
	fs.Float64Var(&o.openRate, "open-rate", 0, "callbacks/s of the open loop (default: half the pending callbacks' closed-loop rate)")
	fs.BoolVar(&o.keep, "keep", false, "keep the ingest measure's database and the service's log (printed where)")
	backends := fs.String("backends", "sqlite", "comma-separated backends the ingest measure runs the service on, side by side in alternating rounds: sqlite,postgres (PostgreSQL: -postgres's server, or a throwaway cluster)")
	fs.BoolVar(&o.pgStats, "pg-stats", false, "with a throwaway cluster: load pg_stat_statements and print the statements that took the most time in the ingest measure")
	latency := fs.String("check-latency", "200ms-400ms", "the scale-out measure's status check latency at the sandbox, min-max")
	fs.IntVar(&o.scaleOutPending, "scaleout-pending", 6000, "the scale-out measure's backlog of due checkouts")
	fs.IntVar(&o.scaleOutMerchants, "scaleout-merchants", 4, "merchants sharing the scale-out measure's backlog")
	fs.Float64Var(&o.scaleOutRate, "scaleout-rate", 250, "each merchant's check budget (checks/s) in the scale-out measure, shared by the instances")
	cpu := fs.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	fs.StringVar(&o.memprofile, "memprofile", "", "write a heap profile, taken with the -scale checkouts pending (or at the end), to this file")
	if err := fs.Parse(args); err != nil {
		return o, "", err
	}
	if *only != "" {
		o.only = map[string]bool{}
		for _, name := range strings.Split(*only, ",") {
			o.only[strings.TrimSpace(name)] = true
		}
	}
	if *loads != "" {
		o.loads = map[string]bool{}
		for _, name := range strings.Split(*loads, ",") {
			o.loads[strings.TrimSpace(name)] = true
		}
	}
	lo, hi, _ := strings.Cut(*latency, "-")
	var err1, err2 error
	o.latMin, err1 = time.ParseDuration(lo)
	o.latMax, err2 = time.ParseDuration(cmp.Or(hi, lo))
	if err1 != nil || err2 != nil || o.latMax < o.latMin {
		return o, "", fmt.Errorf("bench: -check-latency %q: want min-max, e.g. 200ms-400ms", *latency)
	}
	for _, name := range strings.Split(*backends, ",") {
		switch name = strings.TrimSpace(name); name {
		case "sqlite", "postgres":
			o.backends = append(o.backends, name)
		default:
			return o, "", fmt.Errorf("bench: -backends: no backend %q (sqlite, postgres)", name)
		}
	}
	if o.quick {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		quick := func(name string, apply func()) {
			if !set[name] {
				apply()
			}
		}
		quick("duration", func() { o.duration = time.Second })
		quick("rounds", func() { o.rounds = 1 })
		quick("pending", func() { o.pending = 2000 })
		quick("due-rate", func() { o.dueRate = 500 })
		quick("late-for", func() { o.lateFor = 2 * time.Second })
		quick("scale", func() { o.scale = 20_000 })
		quick("truth", func() { o.truthN = 2 })
		quick("poll-grace", func() { o.pollGrace = 500 * time.Millisecond })
		quick("poll-min-interval", func() { o.pollMin = 250 * time.Millisecond })
	}
	if o.rounds < 1 || o.concurrency < 1 || o.known < 1 || o.pending < 1 || o.dueRate <= 0 || o.scale < o.pollConcurrency*20 || o.truthN < 1 {
		return o, "", fmt.Errorf("bench: flags out of range (need rounds, concurrency, known, pending, truth >= 1, due-rate > 0, scale >= 20 x poll-concurrency)")
	}
	return o, *cpu, nil
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == childFlag {
		if err := runChild(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "bench service:", err)
			os.Exit(1)
		}
		return
	}
	o, cpu, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	mem := o.memprofile
	if o.runs("scale") {
		mem = "" // measureScale writes it with the checkouts loaded
	}
	if err := profiled(cpu, mem, func() error { return run(context.Background(), o, os.Stdout) }); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// profiled runs fn under a CPU profile and writes a heap profile after it.
func profiled(cpu, mem string, fn func() error) error {
	if cpu != "" {
		f, err := os.Create(cpu)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if err := fn(); err != nil {
		return err
	}
	if mem != "" {
		f, err := os.Create(mem)
		if err != nil {
			return err
		}
		defer f.Close()
		runtime.GC()
		return pprof.WriteHeapProfile(f)
	}
	return nil
}

// figures is everything one run measured.
type figures struct {
	external []externalFigures
	poller   pollerFigures
	truth    truthFigures
	scale    scaleFigures
	shared   sharedFigures
	scaleOut scaleOutFigures
}

func run(ctx context.Context, o options, out io.Writer) error {
	var fig figures
	step := func(name string) { fmt.Fprintf(os.Stderr, "bench: %s…\n", name) }
	if o.runs("ingest") {
		step(fmt.Sprintf("callback ingest and status reads: the service in its own process, wrk -t2 -c%d from another", o.concurrency))
		var err error
		if fig.external, err = measureExternal(ctx, o); err != nil {
			return fmt.Errorf("ingest: %w", err)
		}
	}
	measures := []struct {
		name, what string
		fn         func(*service) error
	}{
		{"truth", "time to truth", func(s *service) (err error) { fig.truth, err = measureTruth(ctx, s, o); return }},
		{"poller", fmt.Sprintf("poller (%d pending, then %.0f/s due)", o.pending, o.dueRate),
			func(s *service) (err error) { fig.poller, err = measurePoller(ctx, s, o); return }},
		{"scale", fmt.Sprintf("scale (%d pending)", o.scale), func(s *service) (err error) { fig.scale, err = measureScale(ctx, s, o); return }},
		{"shared", fmt.Sprintf("PostgreSQL: %d pending drained by 1, 2, 3 instances; ingest beside SQLite", o.pending),
			func(s *service) (err error) { fig.shared, err = measureShared(ctx, s, o); return }},
	}
	var s *service
	for _, m := range measures {
		if !o.runs(m.name) || (m.name == "shared" && o.postgres == "") {
			continue
		}
		if s == nil {
			var err error
			if s, err = startService(ctx, o); err != nil {
				return err
			}
			defer s.stop()
		}
		step(m.what)
		if err := m.fn(s); err != nil {
			return fmt.Errorf("%s: %w", m.name, err)
		}
	}
	if o.only["scaleout"] {
		step(fmt.Sprintf("scale-out: %d due checkouts of %d merchants drained by 1, 2, 3 instances on PostgreSQL, checks answered in %v-%v",
			o.scaleOutPending, o.scaleOutMerchants, o.latMin, o.latMax))
		var err error
		if fig.scaleOut, err = measureScaleOut(ctx, o); err != nil {
			return fmt.Errorf("scaleout: %w", err)
		}
	}
	printTable(out, o, fig)
	return nil
}
