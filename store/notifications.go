package store

import (
	"context"
	"database/sql"
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

// matchNotificationSQL finds the checkout a callback names, by reference
// or provider_ref, the oldest if both match. Each branch is one search of
// its unique index: written as one OR, SQLite (without ANALYZE statistics)
// walked every checkout of the merchant in created_at order instead,
// inside the single writer, on every callback.
const matchNotificationSQL = `SELECT id, state FROM (
	SELECT id, state, created_at FROM checkouts WHERE merchant_id = ?1 AND provider = ?2 AND reference = ?3
	UNION ALL
	SELECT id, state, created_at FROM checkouts WHERE merchant_id = ?1 AND provider = ?2 AND provider_ref = ?4
) ORDER BY created_at LIMIT 1`

// RecordNotification durably stores a callback (it returns only after the
// commit) and, when its checkout is registered, logs it there and makes the
// checkout due for an immediate provider check. A callback for a checkout
// not registered yet is kept and attached at registration.
func (db *DB) RecordNotification(ctx context.Context, n Notification) (RecordedNotification, error) {
	var out RecordedNotification
	err := db.exec(ctx, func(tx *sql.Tx) error {
		now := db.Now()
		var checkoutID, state sql.NullString
		err := tx.QueryRow(matchNotificationSQL, n.MerchantID, n.Provider, n.TransactionID, n.ProviderCheckoutID).Scan(&checkoutID, &state)
		if err != nil && err != sql.ErrNoRows {
			return fmt.Errorf("match notification: %w", err)
		}
		body := n.Body
		if body == nil {
			body = []byte{}
		}
		res, err := tx.Exec(`INSERT INTO notifications (merchant_id, provider, checkout_id, transaction_id, provider_checkout_id,
			status, content_type, query, body, received_at) VALUES (?,?,?,?,?,?,?,?,?,?)`,
			n.MerchantID, n.Provider, checkoutID, n.TransactionID, n.ProviderCheckoutID, n.Status, n.ContentType, n.Query, body, ms(now))
		if err != nil {
			return fmt.Errorf("insert notification: %w", err)
		}
		if out.ID, err = res.LastInsertId(); err != nil {
			return fmt.Errorf("insert notification: %w", err)
		}
		if !checkoutID.Valid {
			return nil
		}
		out.CheckoutID = checkoutID.String
		if err := appendEvent(tx, Event{CheckoutID: out.CheckoutID, At: now, Source: "callback",
			Type: EventCallbackReceived, ProviderStatus: n.Status}); err != nil {
			return err
		}
		if _, err := tx.Exec(`UPDATE checkouts SET callback_received_at = COALESCE(callback_received_at, ?) WHERE id = ?`,
			ms(now), out.CheckoutID); err != nil {
			return fmt.Errorf("mark callback received: %w", err)
		}
		out.Woke = !State(state.String).Terminal()
		return wake(tx, out.CheckoutID, SourceCallback, now)
	})
	if err != nil {
		return RecordedNotification{}, fmt.Errorf("record notification: %w", err)
	}
	return out, nil
}
