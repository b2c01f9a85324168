package store

import (
	"context"
	"sync/atomic"
	"time"
)

// DeliveryHandoff takes deliveries straight from the transactions that
// enqueue them (DB.HandDeliveriesTo): the webhook dispatcher, which then
// sends them without a claim of its own (a write behind everyone else's).
type DeliveryHandoff interface {
	// HandOff receives deliveries a committed transaction inserted already
	// leased to this process: ClaimSeq is their claim, NextAttemptAt the
	// end of their lease. It must not block; a delivery it drops comes
	// back when its lease ends (or at the next start, which recovers every
	// lease on SQLite; PostgreSQL hands a stopped instance's claims back).
	HandOff(ds []Delivery)
	// HandOffLease is how long such a delivery is leased for.
	HandOffLease() time.Duration
}

// handoffTo is the DeliveryHandoff a DB hands its new deliveries to.
type handoffTo struct{ to DeliveryHandoff }

// HandDeliveriesTo makes every delivery enqueued from now on (due at once,
// the endpoint enabled) go in leased to this process, and, once its
// transaction has committed, to h. The row is the truth as before: the
// lease is a claim (claim_seq 1, fenced as any), and a delivery h never
// sends comes back when the lease ends. nil stops the hand-off.
func (db *DB) HandDeliveriesTo(h DeliveryHandoff) {
	if h == nil {
		db.handoff.Store(nil)
		return
	}
	db.handoff.Store(&handoffTo{h})
}

// handoffState is the DB's hand-off, if any.
type handoffState = atomic.Pointer[handoffTo]

// writeHanding runs fn in one write transaction whose new deliveries go
// in leased (handingTx), then hands them to h once it has committed. A
// run of fn the backend repeats starts the list again.
func (db *DB) writeHanding(ctx context.Context, h *handoffTo, fn func(Tx) error) error {
	var handed []Delivery
	lease := h.to.HandOffLease()
	err := db.b.Write(ctx, func(tx Tx) error {
		handed = handed[:0]
		return fn(wrapHanding(tx, lease, &handed))
	})
	if err == nil && len(handed) > 0 {
		h.to.HandOff(handed)
	}
	return err
}

// handingTx is a Tx whose InsertDelivery leases a delivery due at once to
// this process (InsertLeasedDelivery) and lists it for the hand-off.
type handingTx struct {
	Tx
	lease  time.Duration
	handed *[]Delivery
}

func wrapHanding(tx Tx, lease time.Duration, handed *[]Delivery) Tx {
	return handingTx{Tx: tx, lease: lease, handed: handed}
}

// unwrap is the backend's Tx under the hand-off (see txAs).
func (t handingTx) unwrap() Tx { return t.Tx }

// txAs is tx as the optional interface T a backend's Tx may implement
// (inboxBatchTx, markWaker, refProber, unmatchedCounter: a backend's
// shortcuts), looking through the hand-off's wrapper, which only changes
// InsertDelivery: a type assertion on the wrapper would find none of them,
// and every write goes through it when the hand-off is on (the app).
func txAs[T any](tx Tx) (T, bool) {
	if w, ok := tx.(interface{ unwrap() Tx }); ok {
		tx = w.unwrap()
	}
	v, ok := tx.(T)
	return v, ok
}

// InsertDelivery implements Tx: a delivery due now goes in leased until
// its due time plus the lease, and is listed for the hand-off; any other
// as the backend inserts it.
func (t handingTx) InsertDelivery(ctx context.Context, d Delivery) error {
	if d.Status != DeliveryPending || d.NextAttemptAt == nil {
		return t.Tx.InsertDelivery(ctx, d)
	}
	until := d.NextAttemptAt.Add(t.lease)
	leased, err := t.Tx.InsertLeasedDelivery(ctx, d, until)
	if err != nil || !leased {
		return err
	}
	d.ClaimSeq, d.NextAttemptAt = 1, &until
	*t.handed = append(*t.handed, d)
	return nil
}
