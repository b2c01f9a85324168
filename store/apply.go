package store

import (
	"context"
	"fmt"
	"time"
)

// Apply records an observation in one transaction: the state machine's
// verdict on the checkout, the events, the merchant webhooks it announces
// (the outbox), and the next check, guarded by a compare-and-set on the
// version and claim the poller holds. It returns the updated checkout,
// ErrVersionConflict if the checkout changed or was re-claimed since the
// claim, or ENOTFOUND. A wake that arrived during the check makes the
// checkout due again at once instead of at o.NextCheckAt.
//
// Invariant: the row is locked (CheckoutForUpdate) before it is compared,
// and the update is itself a compare-and-set on (version, claim_seq), so a
// stale poller whose lease ran out and was taken over can't apply, on a
// database with one writer or many.
//
// When the observation teaches the checkout its provider_ref, the
// callbacks stored unmatched under that id are adopted in the same
// transaction (attached, logged, the checkout due at once). The identity
// is locked (LockIdentity) before the row, as RecordNotification locks
// it before it looks: a callback naming the id at the same moment is
// matched there or adopted here, and the lock order (identity, then row)
// is the callbacks' own.
func (db *DB) Apply(ctx context.Context, o Observation) (Checkout, error) {
	var out Checkout
	var before int64
	learning, err := db.refToLearn(ctx, o)
	if err != nil {
		return Checkout{}, fmt.Errorf("apply observation: %w", err)
	}
	err = db.write(ctx, func(tx Tx) error {
		if err := lockRefToLearn(ctx, tx, learning, o.ProviderRef); err != nil {
			return err
		}
		var err error
		out, before, err = applyOne(ctx, tx, o, learning, db.Now())
		return err
	})
	if err != nil {
		return Checkout{}, fmt.Errorf("apply observation: %w", err)
	}
	db.changed(before, out)
	return out, nil
}

// applyOne is Apply's work on one observation inside a write transaction
// that already holds the identity lock lockRefToLearn takes for learning
// (refToLearn's answer for o). It returns the checkout as written and its
// version before. A refusal found before anything is written (the
// checkout is gone, or its version or claim moved: ErrVersionConflict)
// comes back as a *refusedError, which leaves the transaction as it
// found it, so that ApplyBatch goes on with the batch's other items.
func applyOne(ctx context.Context, tx Tx, o Observation, learning Checkout, now time.Time) (Checkout, int64, error) {
	c, err := tx.CheckoutForUpdate(ctx, o.CheckoutID)
	if err != nil {
		if ErrorCode(err) == ENOTFOUND {
			return Checkout{}, 0, &refusedError{err}
		}
		return Checkout{}, 0, err
	}
	if c.Version != o.Version || c.ClaimSeq != o.ClaimSeq {
		return Checkout{}, 0, &refusedError{ErrVersionConflict} // changed, or re-claimed after our lease ran out
	}
	before := c.Version
	waiting := true // callbacks may wait unmatched under the ref learned: adopt them
	if o.ProviderRef != "" && c.ProviderRef == "" {
		var taken bool
		if p, ok := txAs[refProber](tx); ok {
			taken, waiting, err = p.ProbeProviderRef(ctx, c, o.ProviderRef)
		} else {
			taken, err = tx.ProviderRefTaken(ctx, c, o.ProviderRef)
		}
		if err != nil {
			return Checkout{}, 0, err
		}
		if taken {
			o.Anomaly = &Anomaly{Code: AnomalyReferenceMismatch,
				Detail: fmt.Sprintf("provider reported checkout %q, which another checkout holds", o.ProviderRef)}
		}
	}
	woken := c.WakeSeq != o.WakeSeq
	if woken {
		o.Expire = false // don't give up on news not checked yet (decided before, so events and version agree)
	}
	d := decide(c, o, now)
	if woken && !d.next.State.Terminal() && (o.Checked || o.NextCheckAt == nil || !o.NextCheckAt.After(now)) {
		// woken during the check: what we saw may predate the news. (An
		// observation that checked nothing, held back by a budget or a
		// gap, keeps its later time: nothing seen can be stale, and the
		// check then sees the news.)
		d.next.Attempts = c.Attempts
		d.next.NextCheckAt = &now
	}
	d.next.Rev = c.Rev + 1 // the row is locked: UpdateCheckout takes it from c.Rev to c.Rev+1
	if err := tx.UpdateCheckout(ctx, c, d.next); err != nil {
		return Checkout{}, 0, err
	}
	for _, e := range d.events {
		if err := appendEvent(ctx, tx, e); err != nil { // identical status checks fold
			return Checkout{}, 0, err
		}
	}
	if learning.ID != "" && c.ProviderRef == "" && d.next.ProviderRef == o.ProviderRef && waiting {
		if d.next, err = adoptUnderLearnedRef(ctx, tx, c, d.next, o.ProviderRef, now); err != nil {
			return Checkout{}, 0, err
		}
	}
	if err := enqueueDeliveries(ctx, tx, c, d.next, now); err != nil { // the outbox: same transaction as the change
		return Checkout{}, 0, err
	}
	return d.next, before, nil
}

// refProber is a Tx that answers in one statement what applyOne asks
// of a provider_ref a checkout is about to learn: whether another
// checkout holds it (as ProviderRefTaken), and whether callbacks wait
// unmatched under it (as UnmatchedNotifications would find some under
// the ref alone), so that the adoption's read, the costlier, runs only
// when there is something to adopt: SQLite's, where a checkout's first
// check usually learns its ref and nothing waits. The answer holds for
// the rest of the transaction: the identity is locked (lockRefToLearn).
type refProber interface {
	ProbeProviderRef(ctx context.Context, c Checkout, ref string) (taken, waiting bool, err error)
}

// refusedError is an observation applyOne refused before it wrote
// anything; it reads as the refusal it wraps (errors.Is(err,
// ErrVersionConflict) holds through it).
type refusedError struct{ err error }

func (e *refusedError) Error() string { return e.err.Error() }
func (e *refusedError) Unwrap() error { return e.err }

// ClaimDue leases up to limit checkouts whose next check is due, oldest due
// first. Their next check moves to now+lease, so the work of a checker
// that dies comes back by itself after the lease: leases expire, nobody
// releases another's. Each carries DueAt, when it was due.
func (db *DB) ClaimDue(ctx context.Context, limit int, lease time.Duration) ([]Checkout, error) {
	var out []Checkout
	err := db.write(ctx, func(tx Tx) error {
		var err error
		out, err = tx.ClaimDueCheckouts(ctx, db.Now(), limit, lease)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("claim due checkouts: %w", err)
	}
	for _, c := range out {
		db.touched(c.ID) // the lease moved next_check_at
	}
	return out, nil
}

// NextDue returns the earliest next check, and false when nothing is scheduled.
func (db *DB) NextDue(ctx context.Context) (time.Time, bool, error) {
	t, ok, err := db.b.NextCheckoutDue(ctx)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("next due: %w", err)
	}
	return t, ok, nil
}

// CountDue returns how many checkouts are due for a check now and not
// claimed: the poller's backlog.
func (db *DB) CountDue(ctx context.Context) (int, error) {
	n, err := db.b.CountDueCheckouts(ctx, db.Now())
	if err != nil {
		return 0, fmt.Errorf("count due checkouts: %w", err)
	}
	return n, nil
}

// refToLearn returns the checkout o answers for when o.ProviderRef may
// become its provider_ref (it has none yet), or the zero Checkout when
// there is nothing to learn. It knows from o.Claimed when the caller
// carried the claimed row, else it reads without a lock: merchant and
// provider never change, so either names the identity to lock
// (lockRefToLearn) before the row, in the callbacks' own lock order
// (identity, then row). (A ref learned since the claim came with a new
// version: applyOne refuses the observation, the lock taken is harmless.)
func (db *DB) refToLearn(ctx context.Context, o Observation) (Checkout, error) {
	if o.ProviderRef == "" {
		return Checkout{}, nil
	}
	if cl := o.Claimed; cl.MerchantID != "" {
		if cl.ProviderRef != "" {
			return Checkout{}, nil
		}
		return Checkout{ID: o.CheckoutID, MerchantID: cl.MerchantID, Provider: cl.Provider}, nil
	}
	pre, err := db.b.CheckoutByID(ctx, o.CheckoutID)
	if err != nil || pre.ProviderRef != "" {
		return Checkout{}, err
	}
	return pre, nil
}

// lockRefToLearn locks the identity ref names for the checkout
// refToLearn returned; nothing when it returned none.
func lockRefToLearn(ctx context.Context, tx Tx, learning Checkout, ref string) error {
	if learning.ID == "" {
		return nil
	}
	return lockIdentities(ctx, tx, learning.MerchantID, learning.Provider, ref)
}

// adoptUnderLearnedRef adopts the callbacks stored unmatched under ref, the
// provider_ref c has just learned, and returns c's row as the adoption left
// it (it rewrites callback_received_at and next_check_at), or next, the row
// as Apply wrote it, when there was nothing to adopt (the usual case: no
// second read of the row).
func adoptUnderLearnedRef(ctx context.Context, tx Tx, c, next Checkout, ref string, now time.Time) (Checkout, error) {
	adopted, err := adoptEarlyNotifications(ctx, tx, Checkout{ID: c.ID, MerchantID: c.MerchantID, Provider: c.Provider,
		ProviderRef: ref}, now, providerRefLearned)
	if err != nil || !adopted {
		return next, err
	}
	return tx.CheckoutForUpdate(ctx, c.ID)
}
