package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Notification is a provider callback as received: a hint, never a verdict.
type Notification struct {
	MerchantID         string
	Provider           string
	TransactionID      string // the merchant's reference, if the body had it
	ProviderCheckoutID string // the provider's checkout id, if the body had it
	Status             string // what the callback claims; logged, never applied
	ContentType        string
	Query              string
	Body               []byte
	// InboxKey, set on a callback coming from the inbox, makes recording
	// it idempotent: a second record of the same key is skipped (an entry
	// store/sqlite moved from the inbox file of an earlier version may
	// have been recorded before that version deleted it).
	InboxKey string
	// Digest, set by the store when a callback is kept for its checkout,
	// identifies identical repeats (callbackDigest); "" for one kept
	// unmatched.
	Digest string
}

// RecordedNotification says what became of a stored notification.
type RecordedNotification struct {
	ID         int64
	CheckoutID string // "" when no checkout is registered for it yet
	// Woke reports that the checkout was made due for a check (it was not
	// terminal): only then is there anything for the poller to do.
	Woke bool
}

// RecordNotification durably stores a callback (it returns only after the
// commit) and, when its checkout is registered, logs it there and makes the
// checkout due for an immediate provider check. A callback for a checkout
// not registered yet is kept and attached at registration, within the
// merchant's Options.Unmatched bounds: beyond them it is refused with an
// ELIMIT error carrying a Retry-After (see RetryAfter).
//
// Invariant: the identities the callback names are locked (LockIdentity)
// before it looks for its checkout, as RegisterCheckout locks them before
// it looks for early callbacks: a callback racing the registration it
// names is either matched here or adopted there, never left unmatched.
//
// The service's one way in for a callback is AcceptNotification, which
// calls this for a callback naming no registered checkout; tests call it
// to record one at once.
func (db *DB) RecordNotification(ctx context.Context, n Notification) (RecordedNotification, error) {
	var out RecordedNotification
	err := db.write(ctx, func(tx Tx) error {
		if err := lockIdentities(ctx, tx, n.MerchantID, n.Provider, n.TransactionID, n.ProviderCheckoutID); err != nil {
			return err
		}
		now := db.Now()
		var err error
		out, err = db.recordNotification(ctx, tx, n, now, now, true)
		return err
	})
	db.health.note(pathRecord, db.Now(), err)
	if err != nil {
		return RecordedNotification{}, fmt.Errorf("record notification: %w", err)
	}
	db.touched(out.CheckoutID) // callback_received_at and the wake's next_check_at
	return out, nil
}

// recordNotification is RecordNotification's work in tx, once the
// identities n names are locked: the callback is stored as received at
// receivedAt and, when its checkout is found, logged there and marked at
// that time, and the checkout made due at now. bounded applies the
// merchant's bounds on unmatched callbacks (a callback accepted into the
// inbox named a registered checkout: it isn't bounded again).
func (db *DB) recordNotification(ctx context.Context, tx Tx, n Notification, receivedAt, now time.Time, bounded bool) (RecordedNotification, error) {
	id, state, found, err := tx.MatchNotification(ctx, n)
	if err != nil {
		return RecordedNotification{}, fmt.Errorf("match notification: %w", err)
	}
	return db.recordMatched(ctx, tx, n, InboxMatch{CheckoutID: id, State: state, Found: found}, nil, receivedAt, now, bounded)
}

// recordMatched is recordNotification's work once n's checkout was looked
// for (m). batch, for a drain on a backend that reads its whole batch's
// matches at once (inboxBatchTx), stores n without reading its id back
// (m.Recorded told a duplicate already), so that the drain's statements
// all go in one round trip.
func (db *DB) recordMatched(ctx context.Context, tx Tx, n Notification, m InboxMatch, batch inboxBatchTx, receivedAt, now time.Time, bounded bool) (RecordedNotification, error) {
	var out RecordedNotification
	id, state, found := m.CheckoutID, m.State, m.Found
	if n.Body == nil {
		n.Body = []byte{}
	}
	if !found && bounded {
		if err := db.checkUnmatched(ctx, tx, n.MerchantID, len(n.Body), now); err != nil {
			return out, err
		}
	}
	var err error
	if batch != nil && m.Recorded {
		return RecordedNotification{}, nil // recorded before: its event, mark and wake were committed with it
	}
	folded := false
	if found {
		if n, folded, out.ID, err = db.foldCallback(ctx, tx, id, n, receivedAt); err != nil {
			return out, err
		}
	}
	if folded {
		// kept as a repeat of a row the checkout has: no row, no event
	} else if batch != nil {
		batch.InsertNotificationLater(ctx, n, id, receivedAt)
	} else if out.ID, err = tx.InsertNotification(ctx, n, id, receivedAt); errors.Is(err, ErrDuplicate) && n.InboxKey != "" {
		return RecordedNotification{}, nil // recorded before: its event, mark and wake were committed with it
	} else if err != nil {
		return out, fmt.Errorf("insert notification: %w", err)
	}
	if !found {
		return out, nil
	}
	out.CheckoutID = id
	if !folded {
		if err := tx.AppendEvent(ctx, Event{CheckoutID: id, At: receivedAt, Source: ByCallback,
			Type: EventCallbackReceived, ProviderStatus: n.Status}); err != nil {
			return out, err
		}
	}
	out.Woke = !state.Terminal() // a settled checkout has nothing to check (and Wake would skip it)
	if mw, ok := txAs[markWaker](tx); ok && out.Woke {
		if err := mw.MarkAndWake(ctx, id, receivedAt, SourceCallback, now); err != nil {
			return out, fmt.Errorf("mark callback received and wake: %w", err)
		}
		return out, nil
	}
	if err := tx.MarkCallbackReceived(ctx, id, receivedAt); err != nil {
		return out, fmt.Errorf("mark callback received: %w", err)
	}
	if !out.Woke {
		return out, nil
	}
	return out, tx.Wake(ctx, id, SourceCallback, now)
}

// markWaker is a Tx that marks a callback received and wakes its
// checkout in one statement, one write of the row instead of two (both
// backends' Tx are). MarkAndWake is exactly MarkCallbackReceived(id, at) then
// Wake(id, reason, now).
type markWaker interface {
	MarkAndWake(ctx context.Context, id string, at time.Time, reason string, now time.Time) error
}
