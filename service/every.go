package service

import (
	"context"
	"time"
)

// Every calls fn after first, then every period after each call returned,
// until ctx ends; it returns then. It is the loop of a periodic service
// (run it from Base.Go): fn gets ctx, so a call in progress ends with it.
func Every(ctx context.Context, first, period time.Duration, fn func(ctx context.Context)) {
	t := time.NewTimer(first)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			fn(ctx)
			t.Reset(period)
		}
	}
}
