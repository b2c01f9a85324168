// Package testwait is how paysync's tests wait for background work: on a
// condition or a signal, with a deadline, never for a fixed time.
package testwait

import (
	"testing"
	"time"
)

// Timeout is how long For and Signal wait before they fail the test: far
// beyond anything healthy, so that only a hang trips it.
const Timeout = 60 * time.Second

// For waits until cond returns true, looking again after a short pause
// that grows to 10 ms, and fails the test with what when Timeout passes
// first. cond runs in the caller's goroutine.
func For(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(Timeout)
	pause := 100 * time.Microsecond
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", Timeout, what)
		}
		timer := time.NewTimer(pause)
		<-timer.C
		pause = min(2*pause, 10*time.Millisecond)
	}
}

// Signal waits for ch to deliver a value (or to be closed) and returns it;
// it fails the test with what when Timeout passes first.
func Signal[T any](t testing.TB, what string, ch <-chan T) T {
	t.Helper()
	timer := time.NewTimer(Timeout)
	defer timer.Stop()
	select {
	case v := <-ch:
		return v
	case <-timer.C:
		t.Fatalf("timed out after %v waiting for %s", Timeout, what)
		var zero T
		return zero
	}
}

// Never checks that ch delivers nothing while the caller's own work runs:
// it returns false (and fails nothing) when ch is quiet now. Use it after
// a signal that orders the events, never as a wait.
func Never[T any](ch <-chan T) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
