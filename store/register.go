package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// NewCheckout is a merchant's registration of a checkout to watch.
type NewCheckout struct {
	MerchantID     string
	Provider       string
	Reference      string
	ProviderRef    string
	Amount         string // canonicalised by RegisterCheckout
	Currency       string
	SuccessURL     string
	CancelURL      string
	IdempotencyKey string
	// FirstCheckAt is when the fallback poller first checks if no callback
	// comes (registration time plus the poll grace).
	FirstCheckAt time.Time
}

// RegisterCheckout stores a checkout and returns it with created = true, or
// returns the existing one (created = false) when the same idempotency key
// or the same (provider, reference or provider_ref) was registered with
// agreeing fields; disagreeing fields are ECONFLICT. Callbacks that arrived
// before the registration are attached and make the checkout due at once.
func (db *DB) RegisterCheckout(ctx context.Context, in NewCheckout) (Checkout, bool, error) {
	amount, err := CanonicalAmount(in.Amount)
	if err != nil {
		return Checkout{}, false, err
	}
	in.Amount = amount
	if in.Reference == "" && in.ProviderRef == "" {
		return Checkout{}, false, Errorf(EINVALID, "reference or provider_ref is required")
	}
	var out Checkout
	var created bool
	var before int64
	err = db.exec(ctx, func(tx *sql.Tx) error {
		existing, err := findRegistered(tx, in)
		if err == nil {
			if err := sameRegistration(existing, in); err != nil {
				return err
			}
			before = existing.Version
			out, err = learnProviderRef(tx, existing, in.ProviderRef, db.Now())
			return err
		}
		if ErrorCode(err) != ENOTFOUND {
			return err
		}
		out, err = insertCheckout(tx, in, db.Now())
		created = err == nil
		return err
	})
	if err != nil {
		return Checkout{}, false, fmt.Errorf("register checkout: %w", err)
	}
	db.changed(before, out) // a new checkout (version 1) or a learned provider_ref
	return out, created, nil
}

// findRegistered looks for an earlier registration of the same checkout.
func findRegistered(tx *sql.Tx, in NewCheckout) (Checkout, error) {
	if in.IdempotencyKey != "" {
		c, err := getCheckout(tx, `merchant_id = ? AND idempotency_key = ?`, in.MerchantID, in.IdempotencyKey)
		if ErrorCode(err) != ENOTFOUND {
			return c, err
		}
	}
	if in.Reference != "" {
		c, err := getCheckout(tx, `merchant_id = ? AND provider = ? AND reference = ?`, in.MerchantID, in.Provider, in.Reference)
		if ErrorCode(err) != ENOTFOUND {
			return c, err
		}
	}
	if in.ProviderRef != "" {
		return getCheckout(tx, `merchant_id = ? AND provider = ? AND provider_ref = ?`, in.MerchantID, in.Provider, in.ProviderRef)
	}
	return Checkout{}, Errorf(ENOTFOUND, "checkout not found")
}

// sameRegistration returns ECONFLICT naming the first field where in
// disagrees with c. An empty reference or provider_ref agrees with a learned one.
func sameRegistration(c Checkout, in NewCheckout) error {
	diff := func(field string) error {
		return Errorf(ECONFLICT, "a checkout with this identity is already registered with a different %s", field)
	}
	switch {
	case c.Provider != in.Provider:
		return diff("provider")
	case in.Reference != "" && c.Reference != in.Reference:
		return diff("reference")
	case in.ProviderRef != "" && c.ProviderRef != "" && c.ProviderRef != in.ProviderRef:
		return diff("provider_ref")
	case c.Amount != in.Amount:
		return diff("amount")
	case c.Currency != in.Currency:
		return diff("currency")
	case c.SuccessURL != in.SuccessURL:
		return diff("success_url")
	case c.CancelURL != in.CancelURL:
		return diff("cancel_url")
	}
	return nil
}

func insertCheckout(tx *sql.Tx, in NewCheckout, now time.Time) (Checkout, error) {
	id := "chk_" + uuid.NewString()
	_, err := tx.Exec(`INSERT INTO checkouts (id, merchant_id, provider, reference, provider_ref, amount, currency,
		success_url, cancel_url, token, idempotency_key, state, next_check_at, created_at, updated_at, version)
		VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,1)`,
		id, in.MerchantID, in.Provider, nullString(in.Reference), nullString(in.ProviderRef), in.Amount, in.Currency,
		in.SuccessURL, in.CancelURL, randomToken(24), nullString(in.IdempotencyKey), string(StatePending),
		ms(in.FirstCheckAt), ms(now), ms(now))
	if err != nil {
		return Checkout{}, fmt.Errorf("insert checkout: %w", err)
	}
	if err := appendEvent(tx, Event{CheckoutID: id, At: now, Source: "merchant", Type: EventRegistered}); err != nil {
		return Checkout{}, err
	}
	if err := adoptEarlyNotifications(tx, id, in, now); err != nil {
		return Checkout{}, err
	}
	return getCheckout(tx, `id = ?`, id)
}

// earlyNotificationsSQL finds the unmatched callbacks naming a checkout
// being registered, each branch through its partial index (as one OR,
// SQLite scanned every unmatched notification on each registration).
const earlyNotificationsSQL = `SELECT id, status, received_at FROM notifications
	WHERE checkout_id IS NULL AND merchant_id = ?1 AND provider = ?2 AND transaction_id = ?3 AND transaction_id <> ''
	UNION
	SELECT id, status, received_at FROM notifications
	WHERE checkout_id IS NULL AND merchant_id = ?1 AND provider = ?2 AND provider_checkout_id = ?4 AND provider_checkout_id <> ''
	ORDER BY id`

// adoptEarlyNotifications attaches callbacks that arrived before the
// checkout was registered, logs them, and makes the checkout due at once.
func adoptEarlyNotifications(tx *sql.Tx, id string, in NewCheckout, now time.Time) error {
	rows, err := tx.Query(earlyNotificationsSQL, in.MerchantID, in.Provider, in.Reference, in.ProviderRef)
	if err != nil {
		return fmt.Errorf("find early notifications: %w", err)
	}
	type early struct {
		id     int64
		status string
		at     int64
	}
	var found []early
	for rows.Next() {
		var e early
		if err := rows.Scan(&e.id, &e.status, &e.at); err != nil {
			rows.Close()
			return fmt.Errorf("find early notifications: %w", err)
		}
		found = append(found, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("find early notifications: %w", err)
	}
	if len(found) == 0 {
		return nil
	}
	for _, e := range found {
		if _, err := tx.Exec(`UPDATE notifications SET checkout_id = ? WHERE id = ?`, id, e.id); err != nil {
			return fmt.Errorf("adopt notification: %w", err)
		}
		if err := appendEvent(tx, Event{CheckoutID: id, At: fromMS(e.at), Source: "callback", Type: EventCallbackReceived,
			ProviderStatus: e.status, Detail: "received before registration"}); err != nil {
			return err
		}
	}
	if _, err := tx.Exec(`UPDATE checkouts SET callback_received_at = ? WHERE id = ?`, found[0].at, id); err != nil {
		return fmt.Errorf("adopt notification: %w", err)
	}
	return wake(tx, id, SourceCallback, now)
}

// learnProviderRef records the provider's checkout id that a repeated
// registration brings, when the checkout didn't know it yet and no other
// checkout holds it.
func learnProviderRef(tx *sql.Tx, c Checkout, ref string, now time.Time) (Checkout, error) {
	if ref == "" || c.ProviderRef != "" {
		return c, nil
	}
	taken, err := providerRefTaken(tx, c, ref)
	if err != nil || taken {
		return c, err
	}
	if _, err := tx.Exec(`UPDATE checkouts SET provider_ref = ?, version = version + 1, updated_at = ? WHERE id = ?`,
		ref, ms(now), c.ID); err != nil {
		return Checkout{}, fmt.Errorf("learn provider_ref: %w", err)
	}
	return getCheckout(tx, `id = ?`, c.ID)
}
