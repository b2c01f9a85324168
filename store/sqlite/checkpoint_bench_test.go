package sqlite

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"
)

// BenchmarkGroupCommitLatency measures how long small writes wait for
// their group commit, from 16 callers at once (as callbacks do), with the
// background checkpointer and with SQLite's automatic checkpoint on the
// writer (the behaviour before issue 14). It reports the p50, p99, p99.9
// and max of one write's latency. Each caller writes again at once
// (saturated) or every pace (paced: a steady load below what the disk
// can take, like callbacks). Compare the two with, for example,
//
//	go test ./store/sqlite -run '^$' -bench GroupCommitLatency -benchtime 20000x -count 5
//
// b.N is the number of writes; 20000 of them cross the 1000 pages of an
// automatic checkpoint tens of times.
func BenchmarkGroupCommitLatency(b *testing.B) {
	for _, pace := range []time.Duration{0, 4 * time.Millisecond} {
		for _, bc := range []struct {
			name string
			opts Options
		}{
			{"checkpointer", Options{BackgroundCheckpoint: true}},
			{"autocheckpoint", Options{}},
		} {
			load := "saturated"
			if pace > 0 {
				load = fmt.Sprint("paced-", pace)
			}
			b.Run(load+"/"+bc.name, func(b *testing.B) { benchLatency(b, bc.opts, pace) })
		}
	}
}

func benchLatency(b *testing.B, opts Options, pace time.Duration) {
	be := openBackend(b, opts)
	const callers = 16
	lat := make([][]time.Duration, callers)
	b.ResetTimer()
	var wg sync.WaitGroup
	for i := range callers {
		n := b.N / callers
		if i < b.N%callers {
			n++
		}
		wg.Go(func() {
			lat[i] = make([]time.Duration, 0, n)
			next := time.Now()
			for range n {
				if pace > 0 {
					time.Sleep(time.Until(next)) // the load's pace, not a wait on the store
					next = next.Add(pace)
				}
				start := time.Now()
				if err := writeFiller(be, 200); err != nil {
					b.Error(err)
					return
				}
				lat[i] = append(lat[i], time.Since(start))
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	all := slices.Concat(lat...)
	if len(all) == 0 {
		return
	}
	slices.Sort(all)
	at := func(q float64) float64 { return float64(all[int(q*float64(len(all)-1))].Microseconds()) }
	b.ReportMetric(at(0.50), "p50-us")
	b.ReportMetric(at(0.99), "p99-us")
	b.ReportMetric(at(0.999), "p99.9-us")
	b.ReportMetric(at(1), "max-us")
}
