package service_test

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paysync/paysync/internal/testwait"
	"github.com/paysync/paysync/service"
)

// Never more than Concurrency items run at once, and each claim asks for
// no more than the free slots; every item runs as slots come free.
func TestConcurrencyIsBounded(t *testing.T) {
	t.Parallel()
	const limit, n = 3, 10
	src := newSource(1, 2, 3, 4, 5, 6, 7, 8, 9, 10)
	var inFlight, most atomic.Int32
	started := make(chan int, n)
	release := make(chan struct{})
	finished := make(chan int, n)
	start(t, src, func(ctx context.Context, item int) {
		now := inFlight.Add(1)
		for old := most.Load(); now > old && !most.CompareAndSwap(old, now); old = most.Load() {
		}
		started <- item
		select {
		case <-release:
		case <-ctx.Done():
		}
		inFlight.Add(-1)
		finished <- item
	}, service.LoopConfig{Name: "test", Concurrency: limit, MaxWait: time.Hour})

	for range limit {
		testwait.Signal(t, "an item to start", started)
	}
	for range n - limit {
		release <- struct{}{} // one slot frees: exactly one more item may start
		testwait.Signal(t, "an item to start in the freed slot", started)
	}
	for range limit {
		release <- struct{}{}
	}
	if got := most.Load(); got > limit {
		t.Fatalf("%d items in flight at once, want at most %d", got, limit)
	}
	for _, l := range src.claimLimits() {
		if l < 1 || l > limit {
			t.Fatalf("claim limits %v: each must be within [1, %d]", src.claimLimits(), limit)
		}
	}
	seen := map[int]bool{}
	for range n {
		seen[testwait.Signal(t, "an item to finish", finished)] = true
	}
	if len(seen) != n {
		t.Fatalf("%d distinct items ran, want %d", len(seen), n)
	}
}

// With nothing scheduled and a long MaxWait, only Wake can make the loop
// claim again, and it does at once.
func TestWakeClaimsAtOnce(t *testing.T) {
	t.Parallel()
	src := newSource()
	ran := make(chan int, 1)
	l := start(t, src, func(_ context.Context, item int) { ran <- item }, service.LoopConfig{MaxWait: time.Hour})
	src.awaitClaim(t) // the first pass finds nothing and goes to sleep
	src.add(7)
	l.Wake()
	l.Wake() // never blocks, even with a wake pending
	if got := testwait.Signal(t, "the woken loop to run the item", ran); got != 7 {
		t.Fatalf("ran %d, want 7", got)
	}
}

// Stop cancels the items' context, waits for them to return, and ends the
// loop; a second Stop returns at once.
func TestStopWaitsForItemsInFlight(t *testing.T) {
	t.Parallel()
	src := newSource(1)
	entered, cancelled := make(chan struct{}), make(chan struct{})
	release := make(chan struct{})
	l := start(t, src, func(ctx context.Context, _ int) {
		close(entered)
		<-ctx.Done()
		close(cancelled)
		<-release
	}, service.LoopConfig{MaxWait: time.Hour})
	testwait.Signal(t, "the item to start", entered)

	stopped := make(chan struct{})
	go func() { l.Stop(); close(stopped) }()
	testwait.Signal(t, "Stop to cancel the item", cancelled)
	if testwait.Never(stopped) {
		t.Fatal("Stop returned with an item in flight")
	}
	close(release)
	testwait.Signal(t, "Stop to return", stopped)
	if !testwait.Never(l.Stopped()) {
		t.Fatal("the loop is still running after Stop")
	}
	l.Stop()
}

// The loop ends when Start's context does; Stop then returns at once.
func TestLoopEndsWithContext(t *testing.T) {
	t.Parallel()
	l, err := service.NewLoop[int](newSource(), func(context.Context, int) {}, service.LoopConfig{MaxWait: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	l.Stop() // before Start: nothing to do
	ctx, cancel := context.WithCancel(t.Context())
	l.Start(ctx)
	l.Start(ctx) // already running: nothing to do
	cancel()
	testwait.Signal(t, "the loop to end with its context", l.Stopped())
	l.Stop()
}

// RunOnce claims Concurrency at a time until a claim comes back short,
// runs everything it claimed, and returns the count.
func TestRunOnceDrains(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		items      int
		wantClaims []int
	}{
		{"none", 0, []int{3}},
		{"short batch", 7, []int{3, 3, 3}},
		{"exact batches", 6, []int{3, 3, 3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			src := newSource()
			for i := range tc.items {
				src.add(i)
			}
			var mu sync.Mutex
			var ran []int
			l, err := service.NewLoop(src, func(_ context.Context, item int) {
				mu.Lock()
				defer mu.Unlock()
				ran = append(ran, item)
			}, service.LoopConfig{Concurrency: 3})
			if err != nil {
				t.Fatal(err)
			}
			n, err := l.RunOnce(t.Context())
			if err != nil || n != tc.items || len(ran) != tc.items {
				t.Fatalf("RunOnce = %d, %v; ran %d; want %d", n, err, len(ran), tc.items)
			}
			if got := src.claimLimits(); !slices.Equal(got, tc.wantClaims) {
				t.Fatalf("claims %v, want %v", got, tc.wantClaims)
			}
		})
	}
}

// RunOnce returns a failed claim's error, wrapped.
func TestRunOnceReturnsClaimError(t *testing.T) {
	t.Parallel()
	src := newSource(1)
	src.failNext = 1
	l, err := service.NewLoop(src, func(context.Context, int) {}, service.LoopConfig{Name: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := l.RunOnce(t.Context()); n != 0 || !errors.Is(err, errClaim) {
		t.Fatalf("RunOnce = %d, %v; want 0 and the claim's error", n, err)
	}
}

// An idle loop sleeps until NextDue on the injected clock, but never
// longer than MaxWait. The clock stands still in the past: a loop reading
// the real clock would find the item long due and not sleep at all.
func TestIdleSleepsUntilNextDue(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	for _, tc := range []struct {
		name      string
		due       time.Duration // after t0; 0: nothing scheduled
		maxWait   time.Duration
		wantSleep time.Duration
	}{
		{"until next due", 30 * time.Millisecond, time.Hour, 30 * time.Millisecond},
		{"capped by max wait", time.Hour, 20 * time.Millisecond, 20 * time.Millisecond},
		{"nothing scheduled", 0, 20 * time.Millisecond, 20 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			src := newSource()
			if tc.due > 0 {
				src.nextDue = func() (time.Time, bool) { return t0.Add(tc.due), true }
			}
			start(t, src, func(context.Context, int) {},
				service.LoopConfig{MaxWait: tc.maxWait, Now: func() time.Time { return t0 }})
			first := src.awaitClaim(t)
			second := src.awaitClaim(t)
			if slept := second.Sub(first); slept < tc.wantSleep {
				t.Fatalf("the loop looked again after %v, want a sleep of %v", slept, tc.wantSleep)
			}
		})
	}
}

// A failing claim is logged under the loop's name and the loop goes on.
func TestFailingClaimIsLoggedAndLoopGoesOn(t *testing.T) {
	t.Parallel()
	src := newSource(5)
	src.failNext = 2
	log, records := newRecorder()
	ran := make(chan int, 1)
	start(t, src, func(_ context.Context, item int) { ran <- item },
		service.LoopConfig{Name: "test", MaxWait: time.Millisecond, Logger: log})
	for range 2 {
		r := testwait.Signal(t, "the failed pass to be logged", records)
		var logged error
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "err" {
				logged, _ = a.Value.Any().(error)
			}
			return true
		})
		if r.Level != slog.LevelError || r.Message != "test pass" || !errors.Is(logged, errClaim) {
			t.Fatalf("logged %s %q err=%v, want an error \"test pass\" with the claim's error", r.Level, r.Message, logged)
		}
	}
	if got := testwait.Signal(t, "the loop to go on after failed claims", ran); got != 5 {
		t.Fatalf("ran %d, want 5", got)
	}
}

// BeforePass runs at the start of every pass of the background loop.
func TestBeforePassRunsEachPass(t *testing.T) {
	t.Parallel()
	passes := make(chan struct{}, 100)
	start(t, newSource(), func(context.Context, int) {}, service.LoopConfig{MaxWait: time.Millisecond,
		BeforePass: func(context.Context) {
			select {
			case passes <- struct{}{}:
			default: // the test has seen enough
			}
		}})
	for range 3 {
		testwait.Signal(t, "a pass", passes)
	}
}

// New rejects a configuration it cannot run.
func TestNewRejectsBadConfig(t *testing.T) {
	t.Parallel()
	for _, cfg := range []service.LoopConfig{{Concurrency: -1}, {Lease: -time.Second}, {MaxWait: -time.Second}} {
		if _, err := service.NewLoop[int](newSource(), func(context.Context, int) {}, cfg); err == nil {
			t.Errorf("New(%+v) accepted", cfg)
		}
	}
}

// A wake sent on LoopConfig.Wake before the loop exists is kept, and the
// loop's own Wake notifies that signal.
func TestWakeThroughASignalMadeBefore(t *testing.T) {
	t.Parallel()
	wake := service.NewSignal()
	wake.Notify() // before the loop exists: kept
	src := newSource()
	ran := make(chan int, 2)
	l := start(t, src, func(_ context.Context, item int) { ran <- item }, service.LoopConfig{MaxWait: time.Hour, Wake: wake})
	src.awaitClaim(t) // the first pass
	src.awaitClaim(t) // the kept wake-up's pass
	src.add(8)
	l.Wake()
	if got := testwait.Signal(t, "the loop woken through the signal to run the item", ran); got != 8 {
		t.Fatalf("ran %d, want 8", got)
	}
}
