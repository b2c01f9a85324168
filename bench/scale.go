package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/paysync/paysync/store/sqlite/sqlitetest"
)

// scaleFigures are the measurements with many pending checkouts.
type scaleFigures struct {
	pending           int
	seedFor           time.Duration
	claim50, claimMax time.Duration
	claimBatch        int
	plan              string
	rssMB, heapMB     float64
}

// measureScale stops the poller (so the claims below are the only ones),
// seeds o.scale pending checkouts that are all due, times the poller's claim
// statement (ClaimDue with the poller's batch size) 20 times, and reads the
// process's resident memory after a GC.
func measureScale(ctx context.Context, s *service, o options) (scaleFigures, error) {
	f := scaleFigures{pending: o.scale, claimBatch: o.pollConcurrency}
	s.poller.Stop()
	t0 := time.Now()
	past := t0.Add(-time.Hour)
	if _, err := sqlitetest.SeedPendingCheckouts(ctx, s.backend, s.merchant.ID, "scale", o.scale, func(int) time.Time { return past }); err != nil {
		return f, err
	}
	f.seedFor = time.Since(t0)
	var took []time.Duration
	for range 20 {
		t := time.Now()
		got, err := s.db.ClaimDue(ctx, f.claimBatch, time.Hour)
		if err != nil {
			return f, err
		}
		if len(got) != f.claimBatch {
			return f, fmt.Errorf("scale: claimed %d, want %d", len(got), f.claimBatch)
		}
		took = append(took, time.Since(t))
	}
	slices.Sort(took)
	f.claim50, f.claimMax = percentile(took, 50), took[len(took)-1].Round(10*time.Microsecond)
	plan, err := sqlitetest.ClaimQueryPlan(ctx, s.backend)
	if err != nil {
		return f, err
	}
	f.plan = strings.TrimSpace(plan)
	runtime.GC()
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	f.heapMB = float64(ms.HeapInuse) / (1 << 20)
	f.rssMB, err = rssMB()
	if err != nil || o.memprofile == "" {
		return f, err
	}
	fh, err := os.Create(o.memprofile)
	if err != nil {
		return f, err
	}
	defer fh.Close()
	return f, pprof.WriteHeapProfile(fh)
}

// rssMB reads VmRSS from /proc/self/status.
func rssMB() (float64, error) {
	fh, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, err
	}
	defer fh.Close()
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024, err
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/self/status")
}
