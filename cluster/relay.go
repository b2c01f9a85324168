// Package cluster is what an instance of paysync does for the others
// sharing its database (PostgreSQL): the relay of their changes to this
// instance's change feed and workers (Relay), and its liveness, which
// lets the others take over its claims in seconds when it is gone, and
// it theirs (Liveness). Each is a service among the others, started and
// stopped by the wiring (internal/app).
package cluster

import (
	"cmp"
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/paysync/paysync/service"
	"github.com/paysync/paysync/store"
)

// Store is what the relay needs of the store.
type Store interface {
	// Listen relays the signals of the instances sharing the database to
	// fn until ctx ends (store.DB.Listen).
	Listen(ctx context.Context, fn func(store.Signal)) (bool, error)
	CheckoutByID(ctx context.Context, id string) (store.Checkout, error)
}

var _ Store = (*store.DB)(nil)

// RelayConfig configures NewRelay. Feed is required; zero values of the
// others take the defaults shown.
type RelayConfig struct {
	Feed *store.Feed // this instance's change feed
	Wake func()      // the poller's Wake; nil wakes nothing
	Send func()      // the webhook dispatcher's Wake; nil wakes nothing
	// Resync is how often the checkouts somebody waits on are read again,
	// in case a change was not heard (the LISTEN connection was down): 5s.
	// The workers' own idle looks (MaxWait) cover the wake-ups likewise.
	Resync time.Duration
	// ReadTimeout bounds the read of one changed checkout: 5s.
	ReadTimeout time.Duration
	Logger      *slog.Logger // discarded by default
}

// Relay passes what other instances commit to this one's parts, on a
// database several instances share: a new checkout version to the change
// feed (long-polls and streams held here), a checkout made due to the
// poller, a due delivery to the dispatcher. This instance's own commits
// come back too; the feed keeps the highest version and wakes are
// idempotent, so they cost a read or nothing. It runs from Start until
// Stop.
type Relay struct {
	service.Base
	db  Store
	cfg RelayConfig
}

var _ service.Service = (*Relay)(nil)

// NewRelay returns the relay of db's signals to cfg's feed and workers.
func NewRelay(db Store, cfg RelayConfig) *Relay {
	cfg.Resync = cmp.Or(cfg.Resync, 5*time.Second)
	cfg.ReadTimeout = cmp.Or(cfg.ReadTimeout, 5*time.Second)
	cfg.Logger = cmp.Or(cfg.Logger, slog.New(slog.DiscardHandler))
	if cfg.Wake == nil {
		cfg.Wake = func() {}
	}
	if cfg.Send == nil {
		cfg.Send = func() {}
	}
	return &Relay{db: db, cfg: cfg}
}

// Start listens for the other instances' signals and resyncs the watched
// checkouts every Resync, until Stop or ctx ends.
func (r *Relay) Start(ctx context.Context) {
	ctx, started, stopped, ok := r.StartInit(ctx)
	if !ok {
		return
	}
	var wg sync.WaitGroup
	wg.Go(func() { service.Every(ctx, r.cfg.Resync, r.cfg.Resync, r.resync) })
	wg.Go(func() {
		if _, err := r.db.Listen(ctx, r.signal(ctx)); err != nil && ctx.Err() == nil {
			r.cfg.Logger.Error("listen for other instances' changes", "err", err)
		}
	})
	started()
	go func() {
		defer stopped()
		wg.Wait()
	}()
}

func (r *Relay) signal(ctx context.Context) func(store.Signal) {
	return func(s store.Signal) {
		switch s.Kind {
		case store.SignalCheckout:
			if s.Version == 1 {
				r.cfg.Wake() // a new checkout: its first check may be due before the poller's next look
			}
			if r.cfg.Feed.Watching(s.CheckoutID) {
				r.publish(ctx, s.CheckoutID)
			} else {
				r.cfg.Feed.Touch(s.CheckoutID) // nobody waits: caches of it drop what they hold, no read
			}
		case store.SignalCheckDue:
			r.cfg.Wake()
		case store.SignalDeliveryDue:
			r.cfg.Send()
		case store.SignalResync:
			r.cfg.Wake()
			r.cfg.Send()
			r.resync(ctx)
		}
	}
}

// resync reads every watched checkout again and offers it to the feed.
func (r *Relay) resync(ctx context.Context) {
	for _, id := range r.cfg.Feed.Watched() {
		r.publish(ctx, id)
	}
}

func (r *Relay) publish(ctx context.Context, id string) {
	rctx, cancel := context.WithTimeout(ctx, r.cfg.ReadTimeout)
	defer cancel()
	c, err := r.db.CheckoutByID(rctx, id)
	if err != nil {
		if ctx.Err() == nil && store.ErrorCode(err) != store.ENOTFOUND {
			r.cfg.Logger.Error("relay checkout change", "checkout_id", id, "err", err)
		}
		return
	}
	r.cfg.Feed.Publish(c)
}
