package poller

import (
	"errors"
	"sync"
	"time"

	"github.com/paysync/paysync/store"
)

// recentChecks remembers when this process started the last two checks of
// each checkout, for WakeGap: however often callbacks (or refreshes) wake
// a checkout, it is checked at most twice per gap (a wake just after a
// check, a browser back from the payment page, is still checked at once;
// a flood is not), so a flood of callbacks
// naming one registered checkout can't spend its merchant's check budget
// (Budget), which stays for the merchant's other checkouts. It holds only
// the checks of the last gap: its size is bounded by the checks one gap
// can see.
type recentChecks struct {
	mu      sync.Mutex
	started map[string][2]time.Time // the last two starts, older first
	pruned  time.Time               // when entries older than the gap were last dropped
}

func newRecentChecks() *recentChecks { return &recentChecks{started: map[string][2]time.Time{}} }

// begin reports whether a check of id may start at now, and records it
// when it may; otherwise it returns when it may.
func (r *recentChecks) begin(id string, now time.Time, gap time.Duration) (time.Time, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if now.Sub(r.pruned) >= gap {
		for k, at := range r.started {
			if now.Sub(at[1]) >= gap || at[1].After(now) {
				delete(r.started, k)
			}
		}
		r.pruned = now
	}
	last, ok := r.started[id]
	if ok && !last[0].IsZero() && now.Sub(last[0]) < gap && !last[0].After(now) {
		return last[0].Add(gap), false
	}
	r.started[id] = [2]time.Time{last[1], now}
	return now, true
}

// allows reports whether begin would let a check of id start at now,
// recording nothing: a claim batch takes budget only for the checks that
// may start (allot), so a flood's claims take nothing from it.
func (r *recentChecks) allows(id string, now time.Time, gap time.Duration) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	last, ok := r.started[id]
	return !ok || last[0].IsZero() || now.Sub(last[0]) >= gap || last[0].After(now)
}

// tooSoon is the observation that puts c back until next, when the gap
// since its last check ends: it checks nothing, keeps the attempts, and
// Apply keeps next even if c was woken meanwhile (nothing was seen that
// the wake could have made stale; the check at next sees the news).
func tooSoon(obs store.Observation, c store.Checkout, next time.Time) store.Observation {
	obs.Attempts, obs.NextCheckAt = c.Attempts, &next
	return obs
}

// errTooSoon says a check of the checkout started less than WakeGap ago.
var errTooSoon = errors.New("checked less than the wake gap ago")
