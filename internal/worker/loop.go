package worker

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Loop claims due items from its Source and runs them, at most
// Config.Concurrency at once. Start runs it in the background until Stop;
// RunOnce does one pass in the caller's goroutine, for tests and tools.
type Loop[T any] struct {
	cfg Config
	src Source[T]
	run func(ctx context.Context, item T)

	wake  chan struct{}
	slots chan struct{} // one token per item in flight
	freed chan struct{} // a slot came free

	mu      sync.Mutex // guards cancel and done across Start and Stop
	cancel  context.CancelFunc
	done    chan struct{} // closed when the background loop has ended
	running sync.WaitGroup
}

// New returns a loop that runs run on every item src hands out. run gets a
// context that ends at Stop; an item it leaves unrecorded comes back after
// its lease. New fails when cfg is inconsistent.
func New[T any](src Source[T], run func(ctx context.Context, item T), cfg Config) (*Loop[T], error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Loop[T]{cfg: cfg, src: src, run: run,
		wake:  make(chan struct{}, 1),
		slots: make(chan struct{}, cfg.Concurrency),
		freed: make(chan struct{}, 1),
	}, nil
}

// Wake makes the loop look for due items now. It never blocks.
func (l *Loop[T]) Wake() { signal(l.wake) }

// signal sends on ch unless a signal is already waiting there.
func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// Start runs the loop in the background until Stop or ctx ends. It does
// nothing when the loop is already running.
func (l *Loop[T]) Start(ctx context.Context) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.done != nil {
		select {
		case <-l.done:
		default:
			return // still running
		}
	}
	ctx, l.cancel = context.WithCancel(ctx)
	l.done = make(chan struct{})
	go l.loop(ctx, l.done)
}

// Stop ends the loop and waits for the items in flight, whose context it
// cancels. It may be called more than once, and before Start.
func (l *Loop[T]) Stop() {
	l.mu.Lock()
	cancel, done := l.cancel, l.done
	l.mu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	<-done
}

// loop is the background loop: pass, then sleep unless the pass filled
// every free slot, until ctx ends. It closes done when it and every item
// it started have returned.
func (l *Loop[T]) loop(ctx context.Context, done chan struct{}) {
	defer close(done)
	defer l.running.Wait()
	for {
		if l.cfg.BeforePass != nil {
			l.cfg.BeforePass(ctx)
		}
		full, err := l.dispatch(ctx)
		if err != nil && ctx.Err() == nil {
			l.cfg.Logger.Error(l.cfg.Name+" pass", "err", err)
		}
		if full {
			continue // more may be due right now
		}
		timer := time.NewTimer(l.idle(ctx))
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-l.wake:
		case <-l.freed:
		case <-timer.C:
		}
		timer.Stop()
	}
}

// idle is how long the loop may sleep: until the next due item, within
// [0, MaxWait]; MaxWait when every slot is taken (a freed slot wakes it) or
// the source cannot say.
func (l *Loop[T]) idle(ctx context.Context) time.Duration {
	if len(l.slots) == cap(l.slots) {
		return l.cfg.MaxWait
	}
	due, ok, err := l.src.NextDue(ctx)
	if err != nil || !ok {
		return l.cfg.MaxWait
	}
	return min(max(due.Sub(l.cfg.Now()), 0), l.cfg.MaxWait)
}

// dispatch claims as many due items as there are free slots and starts
// them. full reports that every free slot found work.
func (l *Loop[T]) dispatch(ctx context.Context) (full bool, err error) {
	free := cap(l.slots) - len(l.slots)
	if free == 0 {
		return false, nil
	}
	claimed, err := l.src.Claim(ctx, free, l.cfg.Lease)
	if err != nil {
		return false, fmt.Errorf("claim: %w", err)
	}
	for _, item := range claimed {
		l.slots <- struct{}{}
		l.running.Add(1)
		go func() {
			defer l.running.Done()
			defer func() { <-l.slots; signal(l.freed) }()
			l.run(ctx, item)
		}()
	}
	return len(claimed) == free, nil
}

// RunOnce claims what is due now (Concurrency items at a time), runs it
// and waits, and goes on while a claim comes back full. It returns how
// many items it ran, and the claim's error if one failed.
func (l *Loop[T]) RunOnce(ctx context.Context) (int, error) {
	total := 0
	for {
		claimed, err := l.src.Claim(ctx, l.cfg.Concurrency, l.cfg.Lease)
		if err != nil {
			return total, fmt.Errorf("%s: claim: %w", l.cfg.Name, err)
		}
		var wg sync.WaitGroup
		for _, item := range claimed {
			wg.Go(func() { l.run(ctx, item) })
		}
		wg.Wait()
		total += len(claimed)
		if len(claimed) < l.cfg.Concurrency {
			return total, nil
		}
	}
}
