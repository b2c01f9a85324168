package notify

import (
	"context"
	"log/slog"
	"sync"

	"github.com/paysync/paysync/service"
	"github.com/paysync/paysync/store"
)

// recorder writes the outcomes of attempts in batches: an attempt hands
// its outcome over and frees its slot as soon as the endpoint answered,
// instead of holding it through a write queued behind everyone else's;
// the recorder writes whatever has gathered in one transaction
// (store.RecordAttempts) while the next batch gathers. The delivery stays
// leased until its outcome is written, so nobody claims it meanwhile, and
// an outcome lost in a crash is an attempt repeated once the lease ends
// (at least once, as before).
//
// It is bounded: an attempt that finds limit outcomes waiting writes them
// itself, holding its slot (the dispatcher slows down to the store's pace
// instead of piling outcomes up in memory).
type recorder struct {
	st      Store
	log     *slog.Logger
	limit   int
	written func() // after each batch written: it may have made a delivery due

	mu      sync.Mutex
	pending []store.AttemptResult
	kick    service.Signal // outcomes are waiting
}

func newRecorder(st Store, limit int, log *slog.Logger, written func()) *recorder {
	return &recorder{st: st, log: log, limit: limit, written: written, kick: service.NewSignal()}
}

// add hands res over to be written. It writes the waiting batch itself
// when limit outcomes are waiting already.
func (r *recorder) add(ctx context.Context, res store.AttemptResult) {
	r.mu.Lock()
	r.pending = append(r.pending, res)
	full := len(r.pending) >= r.limit
	r.mu.Unlock()
	if full {
		r.flush(ctx)
		return
	}
	r.kick.Notify()
}

// addLater hands res over without ever writing it in the caller's
// goroutine (for callers that must not block: HandOff).
func (r *recorder) addLater(res store.AttemptResult) {
	r.mu.Lock()
	r.pending = append(r.pending, res)
	r.mu.Unlock()
	r.kick.Notify()
}

// run writes the outcomes as they come until ctx ends. It does not write
// what is left then: the owner calls flush once the attempts have ended.
func (r *recorder) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.kick:
			r.flush(ctx)
		}
	}
}

// flush writes every outcome waiting, in one transaction; when that fails,
// it writes them one by one, so one bad outcome (a delivery swept
// meanwhile) doesn't lose the others. A write that fails is logged: the
// delivery's lease brings it back. The writes outlive ctx's end: an
// attempt that happened is recorded.
func (r *recorder) flush(ctx context.Context) {
	r.mu.Lock()
	batch := r.pending
	r.pending = nil
	r.mu.Unlock()
	if len(batch) == 0 {
		return
	}
	ctx = context.WithoutCancel(ctx)
	if err := r.st.RecordAttempts(ctx, batch); err != nil {
		for _, res := range batch {
			if err := r.st.RecordAttempt(ctx, res); err != nil {
				r.log.Error("record webhook attempt", "delivery_id", res.DeliveryID, "err", err)
			}
		}
	}
	if r.written != nil {
		r.written()
	}
}
