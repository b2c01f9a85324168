package app

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/paysync/paysync/store"
)

// Inbox drain settings.
const (
	inboxBatch      = 256              // entries per drain transaction
	inboxPeriod     = time.Second      // a look without a kick: entries another instance, or a crash, left behind
	inboxFinalDrain = 10 * time.Second // the bound of the drain at shutdown
)

// inboxDrainer processes the callback inbox (store.DB.DrainInbox) just
// after the acknowledgements the handlers gave: kicked by each, it drains
// in batches until the inbox is empty and wakes the poller when a
// checkout became due. Its goroutine runs from start until stop, which
// drains once more so that what was acknowledged is processed before the
// database closes (what isn't, a crash included, is drained at the next
// start: the inbox is durable).
type inboxDrainer struct {
	db       *store.DB
	wake     func() // the poller's Wake
	log      *slog.Logger
	kick     chan struct{}
	drained  prometheus.Counter
	failures prometheus.Counter

	cancel context.CancelFunc
	done   chan struct{}
	once   sync.Once
}

func newInboxDrainer(db *store.DB, log *slog.Logger, reg prometheus.Registerer) (*inboxDrainer, error) {
	d := &inboxDrainer{db: db, log: log, kick: make(chan struct{}, 1),
		drained: prometheus.NewCounter(prometheus.CounterOpts{Name: "paysync_inbox_drained_total",
			Help: "Acknowledged callbacks taken from the inbox and processed (stored, logged, their checkout woken)."}),
		failures: prometheus.NewCounter(prometheus.CounterOpts{Name: "paysync_inbox_drain_errors_total",
			Help: "Inbox drain transactions that failed (their entries stay in the inbox and are retried)."}),
	}
	for _, c := range []prometheus.Collector{d.drained, d.failures} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// Wake asks for a drain now; it never blocks (handlers.Waker).
func (d *inboxDrainer) Wake() {
	select {
	case d.kick <- struct{}{}:
	default: // a drain is already asked for: it will take this entry too
	}
}

// start drains at once (what a previous process acknowledged and left),
// then on every kick and every inboxPeriod, until stop.
func (d *inboxDrainer) start(ctx context.Context, wake func()) {
	d.wake = wake
	ctx, d.cancel = context.WithCancel(ctx)
	d.done = make(chan struct{})
	go d.loop(ctx)
}

func (d *inboxDrainer) loop(ctx context.Context) {
	defer close(d.done)
	tick := time.NewTicker(inboxPeriod)
	defer tick.Stop()
	for {
		kicks := d.kick
		if !d.drainAll(ctx) {
			kicks = nil // the database is failing: try again at the next tick, not at every callback
		}
		select {
		case <-ctx.Done():
			return
		case <-kicks:
		case <-tick.C:
		}
	}
}

// stop ends the loop, then drains once more within inboxFinalDrain. Call
// it after the HTTP server stopped, so that nothing is acknowledged after.
func (d *inboxDrainer) stop() {
	d.once.Do(func() {
		if d.cancel == nil {
			return
		}
		d.cancel()
		<-d.done
		ctx, cancel := context.WithTimeout(context.Background(), inboxFinalDrain)
		defer cancel()
		d.drainAll(ctx)
	})
}

// drainAll drains batches until the inbox is empty, and reports whether
// it got there. When a batch fails it goes on one entry at a time,
// stepping past an entry that fails alone (logged; it stays and is
// retried at the next drain); a failure that took no entry, or two in a
// row, ends the drain, since the database itself is then likely failing.
func (d *inboxDrainer) drainAll(ctx context.Context) bool {
	var after int64
	for ctx.Err() == nil {
		r, err := d.db.DrainInbox(ctx, after, inboxBatch)
		if err == nil {
			d.processed(r)
			if r.N < inboxBatch {
				return true
			}
			after = r.LastID
			continue
		}
		d.failures.Inc()
		if r.LastID == 0 {
			d.log.Error("inbox drain failed; retrying at the next tick", "err", err)
			return false
		}
		d.log.Error("inbox drain failed; retrying its entries one at a time", "err", err)
		end := r.LastID // the failed batch's last entry
		for failed := 0; after < end && ctx.Err() == nil; {
			one, err := d.db.DrainInbox(ctx, after, 1)
			if err == nil {
				failed = 0
				d.processed(one)
				if one.N == 0 {
					return true
				}
				after = one.LastID
				continue
			}
			d.failures.Inc()
			if failed++; failed == 2 || one.LastID == 0 {
				d.log.Error("inbox drain failed twice in a row; retrying at the next tick", "err", err)
				return false
			}
			d.log.Error("inbox entry can't be processed; it stays in the inbox", "entry", one.LastID, "err", err)
			after = one.LastID
		}
	}
	return true
}

func (d *inboxDrainer) processed(r store.Drained) {
	d.drained.Add(float64(r.N))
	if r.Refused > 0 {
		d.log.Warn("inbox entries matched no checkout and were beyond the merchant's unmatched bounds: dropped", "entries", r.Refused)
	}
	if r.Woke {
		d.wake()
	}
}
