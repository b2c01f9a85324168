package postgres

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"
)

// TestTakeTokensIsExactAcrossTakers: eight takers (as eight instances'
// claim batches) ask a bucket of burst 10 for 5 checks each at one
// moment: exactly 10 are given in all, and each of the 30 refused gets a
// moment of its own, one token apart (every second at 1/s), after the
// bucket is empty: no two deferred checks are sent back at once.
func TestTakeTokensIsExactAcrossTakers(t *testing.T) {
	b := openTest(t)
	defer b.Close()
	ctx := context.Background()
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	var (
		mu    sync.Mutex
		took  int
		waits []time.Duration
		wg    sync.WaitGroup
	)
	for range 8 {
		wg.Go(func() {
			n, w, err := b.TakeTokens(ctx, "k", 1, 10, 5, now)
			if err != nil {
				t.Error(err)
				return
			}
			if n+len(w) != 5 {
				t.Errorf("took %d and deferred %d of 5", n, len(w))
			}
			mu.Lock()
			took += n
			waits = append(waits, w...)
			mu.Unlock()
		})
	}
	wg.Wait()
	if took != 10 {
		t.Fatalf("took %d tokens from a bucket of 10", took)
	}
	slices.Sort(waits)
	for i, w := range waits {
		if want := time.Duration(i+1) * time.Second; w != want {
			t.Fatalf("deferred checks' waits %v: the %d-th is %v, want %v", waits, i+1, w, want)
		}
	}
	// A second later one token is back, whoever asks.
	if n, _, err := b.TakeTokens(ctx, "k", 1, 10, 3, now.Add(time.Second)); err != nil || n != 1 {
		t.Fatalf("a second later: took %d, %v; want 1", n, err)
	}
}
