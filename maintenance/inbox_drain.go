package maintenance

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/paysync/paysync/service"
	"github.com/paysync/paysync/store"
)

// InboxStore is what the inbox drainer needs of the store.
type InboxStore interface {
	DrainInbox(ctx context.Context, afterID int64, limit int) (store.Drained, error)
	BuryInbox(ctx context.Context, id int64, reason string) (bool, error)
}

var _ InboxStore = (*store.DB)(nil)

// InboxDrainConfig configures NewInboxDrain. Zero values take the defaults
// shown.
type InboxDrainConfig struct {
	// Wake is called when a drain made a checkout due (the poller's Wake);
	// nil wakes nothing.
	Wake  func()
	Batch int // entries per drain transaction: 256
	// Period is the time between two looks without a kick, for entries
	// another instance, or a crash, left behind: 1s.
	Period time.Duration
	// FinalDrain bounds the drain at Stop: 10s.
	FinalDrain time.Duration
	Logger     *slog.Logger // discarded by default
	// Metrics, when set, receives the drained, failed and dead counters.
	Metrics prometheus.Registerer
}

// InboxDrain processes the callback inbox (store.DB.DrainInbox) just after
// the acknowledgements the handlers gave: kicked by each (Wake), it drains
// in batches until the inbox is empty and wakes the poller when a checkout
// became due. It drains at Start (what a previous process acknowledged
// and left), on every kick and every period, and once more at Stop, so
// that what was acknowledged is processed before the database closes
// (what isn't, a crash included, is drained at the next start: the inbox
// is durable). Stop it after the HTTP server, so that nothing is
// acknowledged after the last drain.
type InboxDrain struct {
	service.Base
	db       InboxStore
	cfg      InboxDrainConfig
	kick     service.Signal
	drained  prometheus.Counter
	failures prometheus.Counter
	dead     prometheus.Counter
}

var _ service.Service = (*InboxDrain)(nil)

// NewInboxDrain returns the drainer of db's inbox. It fails when
// cfg.Metrics refuses a counter (a name registered twice).
func NewInboxDrain(db InboxStore, cfg InboxDrainConfig) (*InboxDrain, error) {
	cfg.Batch = cmp.Or(cfg.Batch, 256)
	cfg.Period = cmp.Or(cfg.Period, time.Second)
	cfg.FinalDrain = cmp.Or(cfg.FinalDrain, 10*time.Second)
	cfg.Logger = cmp.Or(cfg.Logger, slog.New(slog.DiscardHandler))
	if cfg.Wake == nil {
		cfg.Wake = func() {}
	}
	d := &InboxDrain{db: db, cfg: cfg, kick: service.NewSignal(),
		drained: prometheus.NewCounter(prometheus.CounterOpts{Name: "paysync_inbox_drained_total",
			Help: "Acknowledged callbacks taken from the inbox and processed (stored, logged, their checkout woken)."}),
		failures: prometheus.NewCounter(prometheus.CounterOpts{Name: "paysync_inbox_drain_errors_total",
			Help: "Inbox drain transactions that failed (their entries stay in the inbox and are retried)."}),
		dead: prometheus.NewCounter(prometheus.CounterOpts{Name: "paysync_inbox_dead_total",
			Help: "Inbox entries the database refused to record twice alone, moved aside (kept, shown in the console) so that the drain goes on."}),
	}
	if cfg.Metrics != nil {
		for _, c := range []prometheus.Collector{d.drained, d.failures, d.dead} {
			if err := cfg.Metrics.Register(c); err != nil {
				return nil, err
			}
		}
	}
	return d, nil
}

// Wake asks for a drain now; it never blocks (store.Waker).
// A drain already asked for takes the new entry too.
func (d *InboxDrain) Wake() { d.kick.Notify() }

// Start drains at once, then on every kick and every period, until Stop
// or ctx ends; then it drains once more, within FinalDrain, before it
// counts as stopped.
func (d *InboxDrain) Start(ctx context.Context) {
	d.Go(ctx, func(ctx context.Context) {
		d.loop(ctx)
		final, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.cfg.FinalDrain)
		defer cancel()
		d.drainAll(final)
	})
}

func (d *InboxDrain) loop(ctx context.Context) {
	tick := time.NewTicker(d.cfg.Period)
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

// drainAll drains batches until the inbox is empty, and reports whether
// it got there. When a batch fails it goes on one entry at a time; an
// entry that fails alone twice is moved aside (store.DB.BuryInbox: kept
// with why, counted in paysync_inbox_dead_total, shown in the console), so
// that no entry, nor any run of them, stops the drain of those after it.
// A failure that took no entry, a damaged database (store.ErrDamaged: not
// the entry's fault) or a move aside that fails too, ends the drain: the database itself is then failing, and the next tick tries
// again from the first entry.
func (d *InboxDrain) drainAll(ctx context.Context) bool {
	var after int64
	for ctx.Err() == nil {
		r, err := d.db.DrainInbox(ctx, after, d.cfg.Batch)
		if err == nil {
			d.processed(r)
			if r.N < d.cfg.Batch {
				return true
			}
			after = r.LastID
			continue
		}
		if ctx.Err() != nil {
			return false // shutting down: a cancelled drain is no failure; its entries stay for the next start
		}
		d.failures.Inc()
		if r.LastID == 0 {
			d.cfg.Logger.Error("inbox drain failed; retrying at the next tick", "err", err)
			return false
		}
		d.cfg.Logger.Error("inbox drain failed; retrying its entries one at a time", "err", err)
		end := r.LastID // the failed batch's last entry
		for after < end && ctx.Err() == nil {
			one, err := d.drainOne(ctx, after)
			switch {
			case err != nil:
				return false
			case one.N == 0 && one.LastID == 0:
				return true // the inbox is empty
			}
			after = one.LastID
		}
	}
	return true
}

// drainOne drains the first entry above after alone; one that fails twice
// alone is moved aside. It returns an error only when the database is
// failing (nothing taken, or the move aside failed).
func (d *InboxDrain) drainOne(ctx context.Context, after int64) (store.Drained, error) {
	var err error
	for try := 0; try < 2; try++ {
		var one store.Drained
		if one, err = d.db.DrainInbox(ctx, after, 1); err == nil {
			d.processed(one)
			return one, nil
		}
		d.failures.Inc()
		if one.LastID == 0 || ctx.Err() != nil || errors.Is(err, store.ErrDamaged) {
			d.cfg.Logger.Error("inbox drain failed; retrying at the next tick", "err", err)
			return store.Drained{}, err
		}
		if try == 1 {
			buried, berr := d.db.BuryInbox(ctx, one.LastID, err.Error())
			if berr != nil {
				d.cfg.Logger.Error("inbox entry can't be recorded nor moved aside; retrying at the next tick",
					"entry", one.LastID, "err", err, "move_err", berr)
				return store.Drained{}, berr
			}
			if buried {
				d.dead.Inc()
				d.cfg.Logger.Error("inbox entry can't be recorded: moved aside to the dead entries (console, overview)",
					"entry", one.LastID, "err", err)
			}
			return store.Drained{LastID: one.LastID}, nil
		}
	}
	return store.Drained{}, err
}

func (d *InboxDrain) processed(r store.Drained) {
	d.drained.Add(float64(r.N))
	if r.Refused > 0 {
		d.cfg.Logger.Warn("inbox entries matched no checkout and were beyond the merchant's unmatched bounds: dropped", "entries", r.Refused)
	}
	if r.Woke {
		d.cfg.Wake()
	}
}
