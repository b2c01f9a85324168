package notify

import (
	"context"
	"time"

	"github.com/paysync/paysync/store"
)

var _ store.DeliveryHandoff = (*Dispatcher)(nil)

// HandOff takes deliveries the store enqueued leased to this process
// (store.DB.HandDeliveriesTo) and wakes the loop, which attempts them
// before it claims anything: no claim (a write queued behind the checks'
// writes) between a transition's commit and its webhook. It never
// blocks: beyond what the dispatcher holds already (recordBatch per
// slot) a delivery goes back to the outbox, due at once, through the
// recorder. Once the dispatcher stopped it takes nothing: the lease, which
// the next start recovers, brings the deliveries back.
func (d *Dispatcher) HandOff(ds []store.Delivery) {
	if d.stopped.Load() {
		return
	}
	for _, dl := range ds {
		select {
		case d.handed <- dl:
		default:
			d.putBack(dl)
		}
	}
	d.Wake()
}

// HandOffLease is the lease of a delivery handed over: the claims'.
func (d *Dispatcher) HandOffLease() time.Duration { return d.cfg.Lease }

// takeHanded returns up to limit deliveries handed over, oldest first,
// beside already (this pass's, counted against their endpoints' shares),
// leaving alone (to their lease) any whose lease could end within an
// attempt. A delivery whose endpoint answers promptly but holds its share
// (counting those picked here) stays in memory, deferred, for a later
// pass (a freed slot wakes the loop), so that it holds no loop slot while
// it waits and another merchant's delivery behind it goes first. At most
// cap(handed) wait deferred; beyond, handed deliveries stay in the channel
// (and HandOff puts back what the channel can't take).
func (d *Dispatcher) takeHanded(limit int, already []store.Delivery) []store.Delivery {
	d.deferMu.Lock()
	defer d.deferMu.Unlock()
	now, wall := d.cfg.Now(), time.Now()
	picked := map[string]int{}
	for _, dl := range already {
		picked[dl.MerchantID]++
	}
	var out []store.Delivery
	keep := d.deferred[:0:0]
	consider := func(dl store.Delivery) {
		if dl.NextAttemptAt == nil || dl.NextAttemptAt.Sub(now) < d.cfg.Timeout {
			return // its lease brings it back
		}
		if len(out) < limit {
			if ok, prompt := d.slots.room(dl.MerchantID, picked[dl.MerchantID], wall); ok || !prompt {
				picked[dl.MerchantID]++ // one it can't take is postponed by acquire, as a claimed one
				out = append(out, dl)
				return
			}
		}
		keep = append(keep, dl)
	}
	for _, dl := range d.deferred {
		consider(dl)
	}
	for len(out) < limit && len(keep) < cap(d.handed) {
		select {
		case dl := <-d.handed:
			consider(dl)
		default:
			d.deferred = keep
			return out
		}
	}
	d.deferred = keep
	return out
}

// deferredLen is how many deliveries handed over wait for their
// endpoint's slot.
func (d *Dispatcher) deferredLen() int {
	d.deferMu.Lock()
	defer d.deferMu.Unlock()
	return len(d.deferred)
}

// putBack makes a delivery handed over due at once again, through the
// recorder (without an attempt), for the loop's claims.
func (d *Dispatcher) putBack(dl store.Delivery) {
	now := d.cfg.Now()
	d.recorder.addLater(store.AttemptResult{DeliveryID: dl.ID, ClaimSeq: dl.ClaimSeq, Status: store.DeliveryPending, NextAt: &now})
}

// putBackHanded puts back every delivery handed over and not attempted
// (deferred or still in the channel), when the dispatcher stops.
func (d *Dispatcher) putBackHanded(ctx context.Context) {
	d.deferMu.Lock()
	for _, dl := range d.deferred {
		d.putBack(dl)
	}
	d.deferred = nil
	d.deferMu.Unlock()
	for {
		select {
		case dl := <-d.handed:
			d.putBack(dl)
		default:
			d.recorder.flush(ctx)
			return
		}
	}
}
