package poller

import (
	"context"
	"sync"

	"github.com/paysync/paysync/store"
)

// maxApplyBatch bounds the observations one store.ApplyBatch records (the
// poller's default concurrency: a claim batch's worth).
const maxApplyBatch = 64

// applier gathers the observations of checks that finish close together
// (a check's finding, or the reschedule of one its circuit or budget held
// back) and records them with store.ApplyBatch, one transaction (one commit,
// one fsync) for many verdicts. It adds no delay and has no goroutine of
// its own: a check that finds no batch committing commits its own
// observation with whatever else is queued at once (usually nothing,
// when idle); a check that finds one committing queues its observation
// and waits, and when that batch is done the first one queued commits
// everything queued meanwhile, up to maxApplyBatch, itself included. So
// each check commits at most one batch, the one holding its own
// observation, on its own goroutine (owned by the loop), and batches grow
// with the load, as the SQLite writer's group commits do.
type applier struct {
	apply func(ctx context.Context, obs []store.Observation) []store.Applied
	max   int

	mu       sync.Mutex
	queue    []*queued
	applying bool // a batch is being recorded; the next is handed to queue[0]
}

// queued is one check's observation waiting in the applier.
type queued struct {
	obs  store.Observation
	lead chan struct{}      // closed when this check is to commit the next batch
	done chan store.Applied // its outcome
}

func newApplier(apply func(ctx context.Context, obs []store.Observation) []store.Applied, max int) *applier {
	return &applier{apply: apply, max: max}
}

// Apply records o, alone or in a batch with other checks' observations,
// and returns its outcome as store.Apply would.
func (a *applier) Apply(ctx context.Context, o store.Observation) (store.Checkout, error) {
	q := &queued{obs: o, lead: make(chan struct{}), done: make(chan store.Applied, 1)}
	a.mu.Lock()
	a.queue = append(a.queue, q)
	leading := !a.applying
	a.applying = true
	a.mu.Unlock()
	if !leading {
		select { // whoever commits answers or hands over; never abandon the place
		case r := <-q.done:
			return r.Checkout, r.Err
		case <-q.lead:
		}
	}
	a.commit(ctx)
	r := <-q.done
	return r.Checkout, r.Err
}

// commit records up to max queued observations (the caller's first) in
// one batch, answers each, and hands the next batch to the first
// observation still queued, or marks the applier idle.
func (a *applier) commit(ctx context.Context) {
	a.mu.Lock()
	n := min(len(a.queue), a.max)
	batch := a.queue[:n:n]
	a.queue = a.queue[n:]
	a.mu.Unlock()
	obs := make([]store.Observation, len(batch))
	for i, q := range batch {
		obs[i] = q.obs
	}
	results := a.apply(ctx, obs)
	for i, q := range batch {
		q.done <- results[i]
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.queue) == 0 {
		a.applying = false
		return
	}
	close(a.queue[0].lead)
}
