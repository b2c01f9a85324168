package app

import (
	"context"
	"time"

	"github.com/paysync/paysync/store"
)

// resyncEvery is how often, on a shared database, the checkouts somebody
// waits on are read again, in case a change was not heard (the LISTEN
// connection was down); the workers' own idle looks (MaxWait) cover the
// wake-ups likewise.
const resyncEvery = 5 * time.Second

// relay passes what other instances commit to this one's parts, on a
// database several instances share (PostgreSQL): a new checkout version
// to the change feed (long-polls and streams held here), a checkout made
// due to the poller, a due delivery to the dispatcher. This instance's own
// commits come back too; the feed keeps the highest version and wakes are
// idempotent, so they cost a read or nothing. It runs until ctx ends.
type relay struct {
	db   *store.DB
	feed *store.Feed
	wake func() // the poller
	send func() // the dispatcher
	log  func(msg string, args ...any)
}

func (r *relay) run(ctx context.Context) {
	resynced := make(chan struct{})
	defer func() { <-resynced }() // the ticker goroutine ends with ctx; run returns after it
	go func() {
		defer close(resynced)
		t := time.NewTicker(resyncEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				r.resync(ctx)
			}
		}
	}()
	if _, err := r.db.Listen(ctx, r.signal(ctx)); err != nil && ctx.Err() == nil {
		r.log("listen for other instances' changes", "err", err)
	}
}

func (r *relay) signal(ctx context.Context) func(store.Signal) {
	return func(s store.Signal) {
		switch s.Kind {
		case store.SignalCheckout:
			if s.Version == 1 {
				r.wake() // a new checkout: its first check may be due before the poller's next look
			}
			if r.feed.Watching(s.CheckoutID) {
				r.publish(ctx, s.CheckoutID)
			} else {
				r.feed.Touch(s.CheckoutID) // nobody waits: caches of it drop what they hold, no read
			}
		case store.SignalCheckDue:
			r.wake()
		case store.SignalDeliveryDue:
			r.send()
		case store.SignalResync:
			r.wake()
			r.send()
			r.resync(ctx)
		}
	}
}

// resync reads every watched checkout again and offers it to the feed.
func (r *relay) resync(ctx context.Context) {
	for _, id := range r.feed.Watched() {
		r.publish(ctx, id)
	}
}

func (r *relay) publish(ctx context.Context, id string) {
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	c, err := r.db.CheckoutByID(rctx, id)
	if err != nil {
		if ctx.Err() == nil && store.ErrorCode(err) != store.ENOTFOUND {
			r.log("relay checkout change", "checkout_id", id, "err", err)
		}
		return
	}
	r.feed.Publish(c)
}
