package store

import (
	"context"
	"fmt"
	"time"
)

// StartOutcome is how starting a checkout's payment at its provider ended.
type StartOutcome string

// The outcomes RecordStart records.
const (
	// StartStarted: the provider created the payment; StartResult.PayURL
	// is where the buyer pays.
	StartStarted StartOutcome = "started"
	// StartRefused: the provider refused it; nothing was created.
	StartRefused StartOutcome = "refused"
	// StartUnknown: no usable answer; the provider may have created it.
	StartUnknown StartOutcome = "unknown"
)

// StartResult is what came of starting a checkout's payment, for
// RecordStart.
type StartResult struct {
	CheckoutID string
	Outcome    StartOutcome
	// PayURL (StartStarted) is the provider's page for the buyer.
	PayURL string
	// ProviderRef (StartStarted) is the provider's checkout id, when its
	// answer named one; learned as a status check's would be.
	ProviderRef string
	// Detail is the payment_started event's detail: the request's
	// outcome, safe to show.
	Detail string
	// Message (StartRefused) is the provider's reason, the detail of the
	// start_refused anomaly.
	Message string
}

// RecordStart records, in one transaction, what came of starting the
// payment of the checkout r names: a payment_started event with r.Detail,
// and
//   - StartStarted: on a checkout not settled, the pay URL (kept if one
//     is already recorded) and the provider's checkout id when the
//     checkout doesn't know one yet and no other checkout holds it (the
//     callbacks stored unmatched under it are adopted, as in Apply);
//   - StartRefused: a pending checkout without a pay URL becomes failed
//     with the anomaly start_refused, and its webhooks go in the outbox;
//     a checkout that settled meanwhile, or that a concurrent start gave
//     a pay URL, keeps its state (terminal states never change);
//   - StartUnknown: nothing else; the checkout stays as it is and is
//     polled.
//
// No outcome ever moves a checkout towards succeeded. It returns the
// checkout as recorded, or ENOTFOUND.
func (db *DB) RecordStart(ctx context.Context, r StartResult) (Checkout, error) {
	var out Checkout
	var before int64
	if r.Outcome != StartStarted {
		r.ProviderRef = "" // only a started payment names the provider's checkout
	}
	learning, err := db.refToLearn(ctx, Observation{CheckoutID: r.CheckoutID, ProviderRef: r.ProviderRef})
	if err != nil {
		return Checkout{}, fmt.Errorf("record start: %w", err)
	}
	err = db.write(ctx, func(tx Tx) error {
		now := db.Now()
		if err := lockRefToLearn(ctx, tx, learning, r.ProviderRef); err != nil {
			return err
		}
		c, err := tx.CheckoutForUpdate(ctx, r.CheckoutID)
		if err != nil {
			return err
		}
		before, out = c.Version, c
		if learning.ID == "" || c.ProviderRef != "" {
			r.ProviderRef = ""
		} else if taken, err := tx.ProviderRefTaken(ctx, c, r.ProviderRef); err != nil || taken {
			r.ProviderRef = "" // another checkout's id: the status checks will tell
			if err != nil {
				return err
			}
		}
		d := decideStart(c, r, now)
		for _, e := range d.events {
			if err := tx.AppendEvent(ctx, e); err != nil {
				return err
			}
		}
		if d.next.Version == c.Version {
			return nil // only the event: the row is as it was
		}
		d.next.Rev = c.Rev + 1
		if err := tx.UpdateCheckout(ctx, c, d.next); err != nil {
			return err
		}
		if r.ProviderRef != "" && d.next.ProviderRef == r.ProviderRef {
			if d.next, err = adoptUnderLearnedRef(ctx, tx, c, d.next, r.ProviderRef, now); err != nil {
				return err
			}
		}
		if err := enqueueDeliveries(ctx, tx, c, d.next, now); err != nil { // the outbox: same transaction as the change
			return err
		}
		out = d.next
		return nil
	})
	if err != nil {
		return Checkout{}, fmt.Errorf("record start: %w", err)
	}
	db.changed(before, out)
	return out, nil
}

// decideStart is what r makes of c, by the rules RecordStart states. It
// is pure, and never moves c towards succeeded: the only transition it
// makes is pending → failed.
func decideStart(c Checkout, r StartResult, now time.Time) decision {
	next := c
	events := []Event{{CheckoutID: c.ID, At: now, Source: ByPaysync, Type: EventPaymentStarted, Detail: r.Detail}}
	switch {
	case r.Outcome == StartStarted && !c.State.Terminal(): // no page to pay a settled checkout on
		if next.PayURL == "" {
			next.PayURL = r.PayURL
		}
		if next.ProviderRef == "" {
			next.ProviderRef = r.ProviderRef
		}
	case r.Outcome == StartRefused && c.State == StatePending && c.PayURL == "":
		next.State, next.SettledAt, next.NextCheckAt, next.Action = StateFailed, &now, nil, nil
		next.Anomaly = &Anomaly{Code: AnomalyStartRefused, Detail: r.Message}
		events = append(events,
			Event{CheckoutID: c.ID, At: now, Source: ByPaysync, Type: EventAnomaly, Detail: AnomalyStartRefused + ": " + r.Message},
			Event{CheckoutID: c.ID, At: now, Source: ByPaysync, Type: EventStateChanged, FromState: c.State, ToState: StateFailed})
	}
	if changed(c, next) {
		next.Version, next.UpdatedAt = c.Version+1, now
	}
	return decision{next: next, events: events}
}
