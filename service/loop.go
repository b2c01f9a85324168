package service

import (
	"cmp"
	"context"
	"fmt"
	"sync"
	"time"
)

// Loop is a leased work loop: it claims due items from its Source with a
// lease, runs each in one of a bounded number of slots
// (LoopConfig.Concurrency), then sleeps until the next due time, a wake, a
// freed slot or MaxWait. The poller (due checkouts) and the webhook
// dispatcher (due deliveries) run on it; what an item means stays with
// them. Start runs it in the background until Stop (Base); RunOnce does one
// pass in the caller's goroutine, for tests and tools.
type Loop[T any] struct {
	Base
	cfg LoopConfig
	src Source[T]
	run func(ctx context.Context, item T)

	wake    Signal
	slots   chan struct{} // one token per item in flight
	freed   Signal        // a slot came free
	running sync.WaitGroup
}

// NewLoop returns a loop that runs run on every item src hands out. run
// gets a context that ends at Stop; an item it leaves unrecorded comes back
// after its lease. NewLoop fails when cfg is inconsistent.
func NewLoop[T any](src Source[T], run func(ctx context.Context, item T), cfg LoopConfig) (*Loop[T], error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Loop[T]{cfg: cfg, src: src, run: run,
		wake:  cmp.Or(cfg.Wake, NewSignal()),
		slots: make(chan struct{}, cfg.Concurrency),
		freed: NewSignal(),
	}, nil
}

// Wake makes the loop look for due items now. It never blocks.
func (l *Loop[T]) Wake() { l.wake.Notify() }

// Start runs the loop in the background until Stop or ctx ends. It does
// nothing when the loop is already running. Stop (Base) cancels the items'
// context and waits for the items in flight.
func (l *Loop[T]) Start(ctx context.Context) { l.Go(ctx, l.loop) }

// loop is the background loop: pass, then sleep unless the pass filled
// every free slot, until ctx ends. It returns when every item it started
// has returned.
func (l *Loop[T]) loop(ctx context.Context) {
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
			defer func() { <-l.slots; l.freed.Notify() }()
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
