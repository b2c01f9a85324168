package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// ClaimDeliveries leases up to limit pending deliveries whose attempt is
// due, oldest due first. Their next attempt moves to now+lease, so a
// delivery whose dispatcher died comes back by itself: leases expire,
// nobody releases another's. When a read finds nothing due, it returns
// none without queueing a write: the dispatcher looks after every wake
// and every attempt, mostly to find nothing.
func (db *DB) ClaimDeliveries(ctx context.Context, limit int, lease time.Duration) ([]Delivery, error) {
	if due, ok, err := db.b.NextDeliveryDue(ctx); err == nil && (!ok || due.After(db.Now())) {
		return nil, nil
	}
	var out []Delivery
	err := db.write(ctx, func(tx Tx) error {
		var err error
		out, err = tx.ClaimDueDeliveries(ctx, db.Now(), limit, lease)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("claim due deliveries: %w", err)
	}
	return out, nil
}

// NextDeliveryDue returns the earliest next attempt, and false when no
// delivery is scheduled.
func (db *DB) NextDeliveryDue(ctx context.Context) (time.Time, bool, error) {
	t, ok, err := db.b.NextDeliveryDue(ctx)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("next delivery due: %w", err)
	}
	return t, ok, nil
}

// AttemptResult is what a dispatcher learned trying one claimed delivery.
type AttemptResult struct {
	DeliveryID string
	ClaimSeq   int64            // as claimed; a later claim or a redelivery makes the outcome moot
	Attempt    *DeliveryAttempt // nil when no request was made (endpoint disabled or removed)
	Body       []byte           // the body sent, frozen for later attempts if none was yet
	Status     string           // DeliveryDelivered, DeliveryPending (retry), DeliveryFailed or DeliveryDisabled
	NextAt     *time.Time       // with DeliveryPending: when to try again
	Disable    bool             // the endpoint answered 410 Gone: disable it for the merchant
}

// RecordAttempt records an attempt and its outcome in one transaction: the
// attempt row (always: it happened), the frozen body, and, if the lease is
// still this dispatcher's (compare-and-set on claim_seq), the delivery's
// new status and schedule. Disable also disables the merchant's endpoint
// and holds its other pending deliveries.
func (db *DB) RecordAttempt(ctx context.Context, r AttemptResult) error {
	if err := db.write(ctx, func(tx Tx) error { return db.recordAttempt(ctx, tx, r) }); err != nil {
		return fmt.Errorf("record delivery attempt: %w", err)
	}
	return nil
}

// RecordAttempts records several attempts as RecordAttempt does each, all
// in one transaction (one commit for many attempts: the dispatcher's
// batches), in the order of their delivery ids so that transactions
// recording at once lock the rows in one order. Each is fenced on its own
// claim_seq; if one fails, none is recorded and the caller may record them
// one by one.
func (db *DB) RecordAttempts(ctx context.Context, rs []AttemptResult) error {
	sorted := slices.SortedFunc(slices.Values(rs), func(a, b AttemptResult) int { return strings.Compare(a.DeliveryID, b.DeliveryID) })
	err := db.write(ctx, func(tx Tx) error {
		for _, r := range sorted {
			if err := db.recordAttempt(ctx, tx, r); err != nil {
				return fmt.Errorf("delivery %s: %w", r.DeliveryID, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("record %d delivery attempts: %w", len(rs), err)
	}
	return nil
}

// recordAttempt is RecordAttempt's work inside the caller's transaction.
func (db *DB) recordAttempt(ctx context.Context, tx Tx, r AttemptResult) error {
	now := db.Now()
	d, err := tx.DeliveryForUpdate(ctx, r.DeliveryID)
	if err != nil {
		return err
	}
	o := DeliveryOutcome{Status: r.Status, Now: now}
	if a := r.Attempt; a != nil {
		o.Attempts = 1
		if err := tx.InsertAttempt(ctx, r.DeliveryID, *a); err != nil {
			return fmt.Errorf("insert attempt: %w", err)
		}
	}
	if r.Body != nil {
		if err := tx.FreezeBody(ctx, r.DeliveryID, r.Body); err != nil {
			return fmt.Errorf("freeze body: %w", err)
		}
	}
	if r.Status == DeliveryPending {
		o.NextAt = r.NextAt
	}
	if r.Status == DeliveryDisabled && !r.Disable {
		// The dispatcher saw the endpoint disabled before the attempt; if
		// it was re-enabled since (EnableEndpoint released only the rows
		// already held), hold nothing: the delivery goes out now. The
		// target is read locked, so an enable can't slip in after this.
		_, disabled, err := tx.WebhookTarget(ctx, d.MerchantID)
		if err != nil {
			return err
		}
		if !disabled {
			o.Status, o.NextAt = DeliveryPending, &now
		}
	}
	if err := tx.SetDeliveryOutcome(ctx, r.DeliveryID, r.ClaimSeq, o); err != nil {
		return fmt.Errorf("update delivery: %w", err)
	}
	if r.Disable {
		return tx.DisableEndpoint(ctx, d.MerchantID, now)
	}
	return nil
}

// DeliveryFilter narrows Deliveries.
type DeliveryFilter struct {
	CheckoutID string // "" for all the merchant's checkouts
	Limit      int    // 1..200, default 50
}

// Deliveries returns the merchant's deliveries, newest first, each with
// its attempts. A CheckoutID of another merchant, or unknown, is ENOTFOUND.
func (db *DB) Deliveries(ctx context.Context, merchantID string, f DeliveryFilter) ([]Delivery, error) {
	if f.CheckoutID != "" {
		if _, err := db.Checkout(ctx, merchantID, f.CheckoutID); err != nil {
			return nil, err
		}
	}
	limit := f.Limit
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	out, err := db.b.Deliveries(ctx, merchantID, f.CheckoutID, limit)
	if err != nil {
		return nil, fmt.Errorf("list deliveries: %w", err)
	}
	for i := range out {
		if out[i].History, err = db.b.Attempts(ctx, out[i].ID); err != nil {
			return nil, fmt.Errorf("list attempts: %w", err)
		}
	}
	return out, nil
}

// Redeliver makes the merchant's delivery due now with a fresh retry
// schedule and the same webhook-id and body. It returns the delivery,
// ENOTFOUND for another merchant's or an unknown one, and ECONFLICT while
// the merchant's endpoint is disabled or has no URL. The new claim_seq
// makes an attempt in flight unable to overwrite the new schedule.
func (db *DB) Redeliver(ctx context.Context, merchantID, id string) (Delivery, error) {
	var out Delivery
	err := db.write(ctx, func(tx Tx) error {
		now := db.Now()
		d, err := tx.DeliveryForUpdate(ctx, id)
		if err != nil {
			return err
		}
		if d.MerchantID != merchantID {
			return Errorf(ENOTFOUND, "delivery not found")
		}
		url, disabled, err := tx.WebhookTarget(ctx, merchantID)
		if err != nil {
			return err
		}
		if url == "" || disabled {
			return Errorf(ECONFLICT, "the merchant's webhook endpoint is disabled or unset; re-enable it first")
		}
		out, err = tx.RescheduleDelivery(ctx, id, now)
		return err
	})
	if err != nil {
		return Delivery{}, fmt.Errorf("redeliver: %w", err)
	}
	return out, nil
}
