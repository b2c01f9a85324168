package poller

import (
	"context"
	"time"

	"github.com/paysync/paysync/store"
)

// backlogCounter is the optional store method behind the backlog gauge.
type backlogCounter interface {
	CountDue(ctx context.Context) (int, error)
}

var _ backlogCounter = (*store.DB)(nil)

// sampleBacklog sets the backlog gauge if the last sample (at last) is a
// second old or more, and returns the time of the latest sample.
func (p *Poller) sampleBacklog(ctx context.Context, last time.Time) time.Time {
	bc, ok := p.store.(backlogCounter)
	now := p.cfg.Now()
	if !ok || (!last.IsZero() && now.Sub(last) < time.Second) {
		return last
	}
	n, err := bc.CountDue(ctx)
	if err != nil {
		return last
	}
	p.metrics.backlog.Set(float64(n))
	return now
}

// late observes how late each claimed check starts.
func (p *Poller) late(claimed []store.Checkout) {
	now := p.cfg.Now()
	for _, c := range claimed {
		if !c.DueAt.IsZero() {
			p.metrics.lateness.Observe(max(now.Sub(c.DueAt), 0).Seconds())
		}
	}
}
