package service

// Signal is a wake-up call that never blocks and never piles up: Notify
// leaves at most one wake-up pending, and a receive from the channel takes
// it. A signal made before what it wakes lets a wake-up be sent before
// that exists (LoopConfig.Wake). Make one with NewSignal.
type Signal chan struct{}

// NewSignal returns a signal with no wake-up pending.
func NewSignal() Signal { return make(Signal, 1) }

// Notify leaves a wake-up pending unless one already is. It never blocks.
func (s Signal) Notify() {
	select {
	case s <- struct{}{}:
	default:
	}
}
