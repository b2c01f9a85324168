package service_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paysync/paysync/internal/testwait"
	"github.com/paysync/paysync/service"
)

func TestEveryCallsUntilTheContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var calls atomic.Int32
	returned := make(chan struct{})
	go func() {
		defer close(returned)
		service.Every(ctx, 0, time.Millisecond, func(ctx context.Context) {
			if calls.Add(1) == 3 {
				cancel() // the third call ends the loop
			}
		})
	}()
	testwait.Signal(t, "Every to return once its context ended", returned)
	if n := calls.Load(); n != 3 {
		t.Fatalf("calls = %d, want 3 (none after the context ended)", n)
	}
}

func TestEveryWaitsForTheFirstCall(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var calls atomic.Int32
	returned := make(chan struct{})
	go func() {
		defer close(returned)
		service.Every(ctx, time.Hour, time.Hour, func(context.Context) { calls.Add(1) })
	}()
	cancel()
	testwait.Signal(t, "Every to return", returned)
	if n := calls.Load(); n != 0 {
		t.Fatalf("calls = %d before the first period, want 0", n)
	}
}
