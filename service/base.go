// Package service is how paysync's background services run: one start and
// stop contract (Base, embedded by each), a Group that starts a list of
// services in order and stops them in reverse, the leased Loop the poller
// and the webhook dispatcher are built on, the Signal that wakes a loop,
// and the HTTP server as a service (HTTPServer).
package service

import (
	"context"
	"sync"
)

// Service is a background service. Start launches it and returns at once;
// it runs until Stop or until the context given to Start ends. Stop ends it
// and waits until its goroutines have returned; it may be called before
// Start and more than once. Whatever can fail (configuration, listeners) is
// checked by the service's constructor, so Start has no error to return.
type Service interface {
	Start(ctx context.Context)
	Stop()
}

// Base is the start and stop state a service embeds: it gives the service
// Stop, Started and Stopped, and the service writes its Start with Go (one
// goroutine) or StartInit (anything else). A service may be started again
// after it stopped. The zero value is a service that never started.
type Base struct {
	mu      sync.Mutex
	running bool // between StartInit and the run's stopped
	cancel  context.CancelFunc
	started chan struct{} // closed once the current run is up
	stopped chan struct{} // closed once the current run has ended
}

// StartInit begins a run. ok is false when the service is already running:
// the caller then does nothing. Otherwise ctx is the run's context (ended by
// Stop or by the parent), and the run calls started once it is up (Go calls
// it at once) and stopped, exactly once, when its last goroutine returns.
func (b *Base) StartInit(parent context.Context) (ctx context.Context, started, stopped func(), ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.running {
		return parent, nil, nil, false
	}
	b.running = true
	ctx, b.cancel = context.WithCancel(parent)
	if b.stopped != nil && closed(b.stopped) { // the channels of a run that ended
		b.started, b.stopped = nil, nil
	}
	startedCh, stoppedCh := b.startedLocked(), b.stoppedLocked()
	var once sync.Once
	started = func() { once.Do(func() { close(startedCh) }) }
	stopped = func() {
		started() // a run that ended before it was up still releases its waiters
		b.mu.Lock()
		b.running = false
		b.mu.Unlock()
		close(stoppedCh)
	}
	return ctx, started, stopped, true
}

// Go starts run in one goroutine, which is the service's whole run: the
// service counts as started at once and as stopped when run returns. It
// does nothing when the service is already running.
func (b *Base) Go(parent context.Context, run func(ctx context.Context)) {
	ctx, started, stopped, ok := b.StartInit(parent)
	if !ok {
		return
	}
	started()
	go func() {
		defer stopped()
		run(ctx)
	}()
}

// Stop cancels the current run's context and waits until the run has
// stopped. It returns at once when the service isn't running.
func (b *Base) Stop() {
	b.mu.Lock()
	cancel, stopped := b.cancel, b.stopped
	b.mu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	<-stopped
}

// Started returns a channel closed once the current run is up (the next
// run's when the service was never started).
func (b *Base) Started() <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.startedLocked()
}

// Stopped returns a channel closed once the current run has ended, or the
// last run's (closed) when the service is stopped; a service that was never
// started has not stopped either.
func (b *Base) Stopped() <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.stoppedLocked()
}

// startedLocked and stoppedLocked return the channels of the current run,
// or of the next one when none ever ran; after a run ended they are that
// run's (closed) until the next StartInit makes new ones.
func (b *Base) startedLocked() chan struct{} {
	b.ensureLocked()
	return b.started
}

func (b *Base) stoppedLocked() chan struct{} {
	b.ensureLocked()
	return b.stopped
}

func (b *Base) ensureLocked() {
	if b.stopped == nil {
		b.started, b.stopped = make(chan struct{}), make(chan struct{})
	}
}

func closed(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
