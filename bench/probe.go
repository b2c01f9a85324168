package main

import (
	"context"
	"sync"
	"time"

	"github.com/paysync/paysync/poller"
	"github.com/paysync/paysync/provider/plugin"
	"github.com/paysync/paysync/store"
)

// probe wraps the poller's Checker to see each check start without
// changing what it does: it counts checks and, for checkouts whose due
// time the bench planned, records the lateness (check start − due time).
type probe struct {
	mu      sync.Mutex
	due     map[string]time.Time // planned due times, by checkout id
	late    []time.Duration
	checks  int
	first   time.Time
	last    time.Time // end of the latest check
	tracked int       // checks of planned checkouts
	settled int       // checkouts that reached a terminal state
	settle  time.Time // when the latest of them committed
}

// onChange is the store's OnChange hook: it counts settlements after their
// commit.
func (p *probe) onChange(c store.Checkout) {
	if !c.State.Terminal() {
		return
	}
	p.mu.Lock()
	p.settled++
	p.settle = time.Now()
	p.mu.Unlock()
}

// settlements returns how many checkouts settled so far and when the latest did.
func (p *probe) settlements() (int, time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.settled, p.settle
}

func newProbe() *probe { return &probe{due: map[string]time.Time{}} }

func (p *probe) wrap(c poller.Checker) poller.Checker {
	return poller.CheckerFunc(func(ctx context.Context, m store.Merchant, ck store.Checkout) plugin.Report {
		start := time.Now()
		p.mu.Lock()
		if due, ok := p.due[ck.ID]; ok {
			p.late = append(p.late, start.Sub(due))
			delete(p.due, ck.ID)
			p.tracked++
			if p.first.IsZero() {
				p.first = start
			}
		}
		p.mu.Unlock()
		r := c.Check(ctx, m, ck)
		p.mu.Lock()
		p.checks++
		p.last = time.Now()
		p.mu.Unlock()
		return r
	})
}

// plan forgets earlier figures and expects the given checkouts at the
// given due times.
func (p *probe) plan(ids []string, due func(i int) time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	clear(p.due)
	p.late, p.tracked, p.first, p.last = nil, 0, time.Time{}, time.Time{}
	for i, id := range ids {
		p.due[id] = due(i)
	}
}

// snapshot returns how many planned checkouts were checked, the time of the
// first planned check start and of the latest check end, and the lateness.
func (p *probe) snapshot() (tracked int, first, last time.Time, late []time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.tracked, p.first, p.last, append([]time.Duration(nil), p.late...)
}
