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

// takeHanded returns up to limit deliveries handed over, leaving alone
// (to their lease) any whose lease could end within an attempt.
func (d *Dispatcher) takeHanded(limit int) []store.Delivery {
	var out []store.Delivery
	for len(out) < limit {
		select {
		case dl := <-d.handed:
			if dl.NextAttemptAt == nil || dl.NextAttemptAt.Sub(d.cfg.Now()) < d.cfg.Timeout {
				continue
			}
			out = append(out, dl)
		default:
			return out
		}
	}
	return out
}

// putBack makes a delivery handed over due at once again, through the
// recorder (without an attempt), for the loop's claims.
func (d *Dispatcher) putBack(dl store.Delivery) {
	now := d.cfg.Now()
	d.recorder.addLater(store.AttemptResult{DeliveryID: dl.ID, ClaimSeq: dl.ClaimSeq, Status: store.DeliveryPending, NextAt: &now})
}

// putBackHanded puts back every delivery handed over and not attempted,
// when the dispatcher stops.
func (d *Dispatcher) putBackHanded(ctx context.Context) {
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
