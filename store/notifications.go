package store

import (
	"context"
	"fmt"
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
func (db *DB) RecordNotification(ctx context.Context, n Notification) (RecordedNotification, error) {
	var out RecordedNotification
	err := db.write(ctx, func(tx Tx) error {
		now := db.Now()
		if err := lockIdentities(ctx, tx, n.MerchantID, n.Provider, n.TransactionID, n.ProviderCheckoutID); err != nil {
			return err
		}
		id, state, found, err := tx.MatchNotification(ctx, n)
		if err != nil {
			return fmt.Errorf("match notification: %w", err)
		}
		if n.Body == nil {
			n.Body = []byte{}
		}
		if !found {
			if err := db.checkUnmatched(ctx, tx, n.MerchantID, len(n.Body), now); err != nil {
				return err
			}
		}
		if out.ID, err = tx.InsertNotification(ctx, n, id, now); err != nil {
			return fmt.Errorf("insert notification: %w", err)
		}
		if !found {
			return nil
		}
		out.CheckoutID = id
		if err := tx.AppendEvent(ctx, Event{CheckoutID: id, At: now, Source: ByCallback,
			Type: EventCallbackReceived, ProviderStatus: n.Status}); err != nil {
			return err
		}
		if err := tx.MarkCallbackReceived(ctx, id, now); err != nil {
			return fmt.Errorf("mark callback received: %w", err)
		}
		out.Woke = !state.Terminal()
		return tx.Wake(ctx, id, SourceCallback, now)
	})
	if err != nil {
		return RecordedNotification{}, fmt.Errorf("record notification: %w", err)
	}
	db.touched(out.CheckoutID) // callback_received_at and the wake's next_check_at
	return out, nil
}
