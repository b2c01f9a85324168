package poller

import (
	"testing"
	"time"

	"github.com/paysync/paysync/provider/plugin"
	"github.com/paysync/paysync/store"
)

// The scheduling rules Azotte needs: 3DS waits, the browser's return,
// 404 propagation, 409 stop, Retry-After from two sources.
func TestScheduleAzotteRules(t *testing.T) {
	t.Parallel()
	cfg, err := Config{MinInterval: 5 * time.Second, MaxInterval: 10 * time.Minute, MaxAge: 72 * time.Hour,
		FastChecks: 3, ReturnChecks: 4, ActionInterval: 30 * time.Second, NotFoundWindow: 10 * time.Minute}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	created := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	early := created.Add(2 * time.Minute)
	browser := store.SourceBrowserReturn
	tests := []struct {
		name      string
		now       time.Time
		c         store.Checkout
		r         plugin.Report
		wantDelay time.Duration // -1: no next check
		notFound  bool
	}{
		{"3DS pending: slow", early, store.Checkout{}, plugin.Report{Finding: plugin.Finding{State: plugin.StateActionRequired}}, 30 * time.Second, false},
		{"3DS pending: slow even on the tenth check", early, store.Checkout{Attempts: 9}, plugin.Report{Finding: plugin.Finding{State: plugin.StateActionRequired}}, 30 * time.Second, false},
		{"3DS pending: retry-after larger than the action interval wins", early, store.Checkout{}, plugin.Report{Finding: plugin.Finding{State: plugin.StateActionRequired}, RetryAfter: 45 * time.Second}, 45 * time.Second, false},
		{"browser back, still 3DS: quick", early, store.Checkout{WakeReason: browser}, plugin.Report{Finding: plugin.Finding{State: plugin.StateActionRequired}}, 5 * time.Second, false},
		{"browser back, processing: quick", early, store.Checkout{WakeReason: browser, Attempts: 3}, plugin.Report{Finding: plugin.Finding{State: plugin.StatePending}}, 5 * time.Second, false},
		{"browser back, quick checks spent: backoff from min", early, store.Checkout{WakeReason: browser, Attempts: 4}, plugin.Report{Finding: plugin.Finding{State: plugin.StatePending}}, 5 * time.Second, false},
		{"browser back, quick checks spent, still 3DS: slow again", early, store.Checkout{WakeReason: browser, Attempts: 4}, plugin.Report{Finding: plugin.Finding{State: plugin.StateActionRequired}}, 30 * time.Second, false},
		{"browser back: retry-after still honoured", early, store.Checkout{WakeReason: browser}, plugin.Report{Finding: plugin.Finding{State: plugin.StatePending}, RetryAfter: 8 * time.Second}, 8 * time.Second, false},
		{"404 inside the window: backoff", early, store.Checkout{Attempts: 2}, plugin.Report{NotFound: true}, 20 * time.Second, false},
		{"404 at the window's end: give up", created.Add(10 * time.Minute), store.Checkout{Attempts: 5}, plugin.Report{NotFound: true}, -1, true},
		{"404 after a refresh past the window: give up at once", created.Add(time.Hour), store.Checkout{WakeReason: store.SourceRefresh}, plugin.Report{NotFound: true}, -1, true},
		{"409: stop", early, store.Checkout{}, plugin.Report{Stop: true}, -1, false},
		{"409 right after the browser's return: stop", early, store.Checkout{WakeReason: browser}, plugin.Report{Stop: true}, -1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.c.CreatedAt = created
			got := cfg.schedule(tt.now, tt.c, outcomeOf(tt.r), 0)
			if got.attempts != tt.c.Attempts+1 || got.expire || got.notFound != tt.notFound {
				t.Fatalf("plan %+v", got)
			}
			switch {
			case tt.wantDelay < 0 && got.next != nil:
				t.Fatalf("next check at %v, want none", got.next)
			case tt.wantDelay >= 0 && (got.next == nil || got.next.Sub(tt.now) != tt.wantDelay):
				t.Fatalf("next %v, want now+%v", got.next, tt.wantDelay)
			}
		})
	}
}

// The action interval stays within [MinInterval, MaxInterval].
func TestScheduleActionIntervalBounded(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ action, want time.Duration }{
		{time.Second, 5 * time.Second}, {time.Hour, 10 * time.Minute}, {time.Minute, time.Minute},
	} {
		cfg, _ := Config{MinInterval: 5 * time.Second, MaxInterval: 10 * time.Minute, ActionInterval: tt.action}.withDefaults()
		now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
		p := cfg.schedule(now, store.Checkout{CreatedAt: now}, outcome{action: true}, 0)
		if p.next == nil || p.next.Sub(now) != tt.want {
			t.Errorf("action interval %v: next %v, want now+%v", tt.action, p.next, tt.want)
		}
	}
}
