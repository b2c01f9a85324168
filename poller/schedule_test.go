package poller

import (
	"testing"
	"time"

	"github.com/paysync/paysync/store"
)

func TestSchedule(t *testing.T) {
	t.Parallel()
	cfg, err := Config{MinInterval: 5 * time.Second, MaxInterval: 10 * time.Minute, MaxAge: 72 * time.Hour, FastChecks: 3}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	created := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	now := created.Add(time.Hour)
	tests := []struct {
		name       string
		c          store.Checkout
		o          outcome
		jitter     float64
		wantDelay  time.Duration // -1: expire
		wantAttmpt int
	}{
		{"first backoff, no jitter", store.Checkout{Attempts: 0}, outcome{}, 0, 5 * time.Second, 1},
		{"third backoff doubles twice", store.Checkout{Attempts: 2}, outcome{}, 0, 20 * time.Second, 3},
		{"half jitter takes a quarter off", store.Checkout{Attempts: 2}, outcome{}, 0.5, 15 * time.Second, 3},
		{"jitter never below min", store.Checkout{Attempts: 0}, outcome{}, 0.999999, 5 * time.Second, 1},
		{"capped at max", store.Checkout{Attempts: 30}, outcome{}, 0, 10 * time.Minute, 31},
		{"huge attempt count doesn't overflow", store.Checkout{Attempts: 1 << 20}, outcome{}, 0, 10 * time.Minute, 1<<20 + 1},
		{"retry-after wins when larger", store.Checkout{Attempts: 0}, outcome{retryAfter: 90 * time.Second}, 0, 90 * time.Second, 1},
		{"retry-after bounded by max", store.Checkout{Attempts: 0}, outcome{retryAfter: 5 * time.Hour}, 0, 10 * time.Minute, 1},
		{"retry-after smaller than backoff ignored", store.Checkout{Attempts: 3}, outcome{retryAfter: time.Second}, 0, 40 * time.Second, 4},
		{"slow down goes to max", store.Checkout{Attempts: 0}, outcome{slowDown: true}, 0, 10 * time.Minute, 1},
		{"after callback: quick re-check", store.Checkout{Attempts: 0, WakeReason: store.SourceCallback}, outcome{}, 0.5, 5 * time.Second, 1},
		{"after callback: still quick on the third", store.Checkout{Attempts: 2, WakeReason: store.SourceCallback}, outcome{}, 0, 5 * time.Second, 3},
		{"after callback: backoff restarts from min once quick checks are spent", store.Checkout{Attempts: 3, WakeReason: store.SourceCallback}, outcome{}, 0, 5 * time.Second, 4},
		{"after callback: then doubles", store.Checkout{Attempts: 4, WakeReason: store.SourceCallback}, outcome{}, 0, 10 * time.Second, 5},
		{"refresh is not a quick window", store.Checkout{Attempts: 1, WakeReason: store.SourceRefresh}, outcome{}, 0, 10 * time.Second, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.c.CreatedAt = created
			got := cfg.schedule(now, tt.c, tt.o, tt.jitter)
			if got.attempts != tt.wantAttmpt {
				t.Errorf("attempts = %d, want %d", got.attempts, tt.wantAttmpt)
			}
			if got.expire || got.next == nil {
				t.Fatalf("plan = %+v, want a next check", got)
			}
			if d := got.next.Sub(now); d != tt.wantDelay {
				t.Errorf("delay = %v, want %v", d, tt.wantDelay)
			}
		})
	}
}

func TestScheduleMaxAge(t *testing.T) {
	t.Parallel()
	cfg, _ := Config{MinInterval: 5 * time.Second, MaxInterval: 10 * time.Minute, MaxAge: time.Hour}.withDefaults()
	created := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

	// Close to the deadline, the next check is at the deadline, not past it.
	p := cfg.schedule(created.Add(59*time.Minute), store.Checkout{CreatedAt: created, Attempts: 10}, outcome{}, 0)
	if p.expire || p.next == nil || !p.next.Equal(created.Add(time.Hour)) {
		t.Fatalf("near deadline: plan = %+v, want next at the deadline", p)
	}
	// At the deadline polling stops.
	p = cfg.schedule(created.Add(time.Hour), store.Checkout{CreatedAt: created, Attempts: 11}, outcome{}, 0)
	if !p.expire || p.next != nil {
		t.Fatalf("at deadline: plan = %+v, want expire", p)
	}
	// A callback after the deadline still gets its quick re-checks.
	p = cfg.schedule(created.Add(2*time.Hour), store.Checkout{CreatedAt: created, WakeReason: store.SourceCallback}, outcome{}, 0)
	if p.expire || p.next == nil {
		t.Fatalf("callback after deadline: plan = %+v, want a quick re-check", p)
	}
	p = cfg.schedule(created.Add(2*time.Hour), store.Checkout{CreatedAt: created, WakeReason: store.SourceCallback, Attempts: 3}, outcome{}, 0)
	if !p.expire {
		t.Fatalf("callback window spent after deadline: plan = %+v, want expire", p)
	}
}

func TestBackoffBounds(t *testing.T) {
	t.Parallel()
	for n := 0; n < 100; n++ {
		for _, j := range []float64{0, 0.25, 0.5, 0.999} {
			d := backoff(5*time.Second, 10*time.Minute, n, j)
			if d < 5*time.Second || d > 10*time.Minute {
				t.Fatalf("backoff(n=%d, j=%v) = %v, outside [5s, 10m]", n, j, d)
			}
		}
	}
}
