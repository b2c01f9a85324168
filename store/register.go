package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
)

// NewCheckout is a merchant's registration of a checkout to watch.
type NewCheckout struct {
	MerchantID     string
	Provider       string
	Reference      string
	ProviderRef    string
	Amount         string // checked against Currency and canonicalised by RegisterCheckout (AmountIn)
	Currency       string
	SuccessURL     string
	CancelURL      string
	IdempotencyKey string
	// Start says paysync starts the payment at the provider after the
	// registration (RecordStart); a repeat must agree.
	Start bool
	// FirstCheckAt is when the fallback poller first checks if no callback
	// comes (registration time plus the poll grace).
	FirstCheckAt time.Time
}

// RegisterCheckout stores a checkout and returns it with created = true, or
// returns the existing one (created = false) when the same idempotency key
// or the same (provider, reference or provider_ref) was registered with
// agreeing fields; disagreeing fields are ECONFLICT. Callbacks that arrived
// before the registration are attached and make the checkout due at once.
//
// Invariants, on a database with one writer or many:
//   - find-then-insert can't register one checkout twice: the unique keys
//     (idempotency key, reference, provider_ref) decide, and an insert that
//     loses a race (ErrDuplicate) finds the winner's row instead;
//   - a callback can't fall between "no checkout yet" and "no callback
//     yet": registration and RecordNotification both take LockIdentity on
//     the identities they name before they look, so one of them always sees
//     the other's row.
func (db *DB) RegisterCheckout(ctx context.Context, in NewCheckout) (Checkout, bool, error) {
	amount, err := AmountIn(in.Amount, in.Currency)
	if err != nil {
		return Checkout{}, false, err
	}
	in.Amount = amount
	in.FirstCheckAt = in.FirstCheckAt.UTC().Truncate(time.Millisecond) // the precision kept, so the answer matches later reads
	if in.Reference == "" && in.ProviderRef == "" {
		return Checkout{}, false, Errorf(EINVALID, "reference or provider_ref is required")
	}
	var out Checkout
	var created bool
	var before int64
	err = db.write(ctx, func(tx Tx) error {
		now := db.Now()
		if err := lockIdentities(ctx, tx, in.MerchantID, in.Provider, in.Reference, in.ProviderRef); err != nil {
			return err
		}
		existing, err := findRegistered(ctx, tx, in)
		if ErrorCode(err) == ENOTFOUND {
			out, err = insertCheckout(ctx, tx, in, now)
			if err == nil {
				created = true
				return nil
			}
			if !errors.Is(err, ErrDuplicate) {
				return err
			}
			// lost a race with another registration: answer as a repeat of it
			existing, err = findRegistered(ctx, tx, in)
		}
		if err != nil {
			return err
		}
		if err := sameRegistration(existing, in); err != nil {
			return err
		}
		before = existing.Version
		out, err = learnProviderRef(ctx, tx, existing, in.ProviderRef, now)
		return err
	})
	if err != nil {
		return Checkout{}, false, fmt.Errorf("register checkout: %w", err)
	}
	db.changed(before, out) // a new checkout (version 1) or a learned provider_ref
	db.named.learnCheckout(out)
	return out, created, nil
}

// lockIdentities takes LockIdentity on each non-empty ref, in one order
// (sorted) so that two transactions naming the same pair can't deadlock.
func lockIdentities(ctx context.Context, tx Tx, merchantID, provider string, refs ...string) error {
	ids := make([]identity, 0, len(refs))
	for _, ref := range refs {
		ids = append(ids, identity{merchantID, provider, ref})
	}
	return lockAll(ctx, tx, ids)
}

// identity is one (merchant, provider, reference) LockIdentity serializes.
type identity struct{ merchant, provider, ref string }

// lockAll takes LockIdentity on each identity with a ref, once, in one
// order (sorted by merchant, provider, ref) whoever takes them, so that
// two transactions locking some of the same can't deadlock on them.
func lockAll(ctx context.Context, tx Tx, ids []identity) error {
	ids = slices.Clone(ids)
	slices.SortFunc(ids, func(a, b identity) int {
		return cmp.Or(cmp.Compare(a.merchant, b.merchant), cmp.Compare(a.provider, b.provider), cmp.Compare(a.ref, b.ref))
	})
	for i, id := range ids {
		if id.ref == "" || (i > 0 && ids[i-1] == id) {
			continue
		}
		if err := tx.LockIdentity(ctx, id.merchant, id.provider, id.ref); err != nil {
			return fmt.Errorf("lock identity: %w", err)
		}
	}
	return nil
}

// findRegistered looks for an earlier registration of the same checkout:
// by idempotency key, then reference, then provider_ref.
func findRegistered(ctx context.Context, tx Tx, in NewCheckout) (Checkout, error) {
	var keys []Identity
	if in.IdempotencyKey != "" {
		keys = append(keys, Identity{IdempotencyKey: in.IdempotencyKey})
	}
	if in.Reference != "" {
		keys = append(keys, Identity{Provider: in.Provider, Reference: in.Reference})
	}
	if in.ProviderRef != "" {
		keys = append(keys, Identity{Provider: in.Provider, ProviderRef: in.ProviderRef})
	}
	for _, k := range keys {
		c, err := tx.FindCheckoutForUpdate(ctx, in.MerchantID, k)
		if ErrorCode(err) != ENOTFOUND {
			return c, err
		}
	}
	return Checkout{}, errCheckoutNotFound
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
	case c.StartRequested != in.Start:
		return diff("start")
	}
	return nil
}

// insertCheckout stores the registration with its registered event and
// adopts the callbacks that came before it; ErrDuplicate when a unique key
// is taken.
func insertCheckout(ctx context.Context, tx Tx, in NewCheckout, now time.Time) (Checkout, error) {
	first := in.FirstCheckAt.UTC().Truncate(time.Millisecond)
	c := Checkout{
		ID: "chk_" + uuid.NewString(), MerchantID: in.MerchantID, Provider: in.Provider,
		Reference: in.Reference, ProviderRef: in.ProviderRef, Amount: in.Amount, Currency: in.Currency,
		SuccessURL: in.SuccessURL, CancelURL: in.CancelURL, Token: randomToken(24),
		IdempotencyKey: in.IdempotencyKey, StartRequested: in.Start, State: StatePending, NextCheckAt: &first,
		CreatedAt: now, UpdatedAt: now, Version: 1,
	}
	if err := tx.InsertCheckout(ctx, c); err != nil {
		return Checkout{}, err
	}
	if err := tx.AppendEvent(ctx, Event{CheckoutID: c.ID, At: now, Source: ByMerchant, Type: EventRegistered}); err != nil {
		return Checkout{}, err
	}
	if _, err := adoptEarlyNotifications(ctx, tx, c, now, "received before registration"); err != nil {
		return Checkout{}, err
	}
	return tx.CheckoutForUpdate(ctx, c.ID)
}

// adoptEarlyNotifications attaches the unmatched callbacks naming c's
// reference or provider_ref (those that arrived before the checkout was
// registered, or before its provider_ref was learned), logs them with
// detail, and makes the checkout due at once. The caller holds
// LockIdentity on the identities c names.
func adoptEarlyNotifications(ctx context.Context, tx Tx, c Checkout, now time.Time, detail string) (bool, error) {
	found, err := tx.UnmatchedNotifications(ctx, c.MerchantID, c.Provider, c.Reference, c.ProviderRef)
	if err != nil {
		return false, fmt.Errorf("find early notifications: %w", err)
	}
	if len(found) == 0 {
		return false, nil
	}
	for _, e := range found {
		if err := tx.AttachNotification(ctx, e.ID, c.ID); err != nil {
			return false, fmt.Errorf("adopt notification: %w", err)
		}
		if err := tx.AppendEvent(ctx, Event{CheckoutID: c.ID, At: e.ReceivedAt, Source: ByCallback, Type: EventCallbackReceived,
			ProviderStatus: e.Status, Detail: detail}); err != nil {
			return false, err
		}
	}
	if err := tx.MarkCallbackReceived(ctx, c.ID, found[0].ReceivedAt); err != nil { // the oldest
		return false, fmt.Errorf("adopt notification: %w", err)
	}
	return true, tx.Wake(ctx, c.ID, SourceCallback, now)
}

// providerRefLearned is the detail of a callback adopted when the
// checkout's provider_ref became known.
const providerRefLearned = "received before the provider's checkout id was known"

// learnProviderRef records the provider's checkout id that a repeated
// registration brings, when the checkout didn't know it yet and no other
// checkout holds it.
func learnProviderRef(ctx context.Context, tx Tx, c Checkout, ref string, now time.Time) (Checkout, error) {
	if ref == "" || c.ProviderRef != "" {
		return c, nil
	}
	taken, err := tx.ProviderRefTaken(ctx, c, ref)
	if err != nil || taken {
		return c, err
	}
	if err := tx.SetProviderRef(ctx, c.ID, ref, now); err != nil {
		if errors.Is(err, ErrDuplicate) {
			return c, nil // taken meanwhile by another checkout: keep ours unset, as when taken before
		}
		return Checkout{}, fmt.Errorf("learn provider_ref: %w", err)
	}
	// callbacks that named only this provider_ref were stored unmatched; they are this checkout's
	if _, err := adoptEarlyNotifications(ctx, tx, Checkout{ID: c.ID, MerchantID: c.MerchantID, Provider: c.Provider, ProviderRef: ref},
		now, providerRefLearned); err != nil {
		return Checkout{}, err
	}
	return tx.CheckoutForUpdate(ctx, c.ID)
}
