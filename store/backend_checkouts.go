package store

import (
	"context"
	"time"
)

// The seam's part for the checkouts and their logs of events.

// CheckoutReader reads checkouts and their logs outside any transaction.
type CheckoutReader interface {
	// Checkout returns the merchant's checkout with id, or ENOTFOUND.
	Checkout(ctx context.Context, merchantID, id string) (Checkout, error)
	// CheckoutRev returns the Rev of the merchant's checkout with the given
	// id (one indexed column: far cheaper to read than the row), or
	// ENOTFOUND for an unknown id and for another merchant's.
	CheckoutRev(ctx context.Context, merchantID, id string) (int64, error)
	// CheckoutByToken returns the checkout whose pages use token, or ENOTFOUND.
	CheckoutByToken(ctx context.Context, token string) (Checkout, error)
	// CheckoutByID returns the checkout of any merchant: for the wiring's
	// relay of other instances' changes, never for a merchant's request.
	CheckoutByID(ctx context.Context, id string) (Checkout, error)
	// ListCheckouts returns up to q.Limit of the merchant's checkouts
	// matching q, newest first (created_at, then id, descending).
	ListCheckouts(ctx context.Context, merchantID string, q CheckoutQuery) ([]Checkout, error)
	// Events returns the checkout's log, oldest first (none for an unknown id).
	Events(ctx context.Context, checkoutID string) ([]Event, error)
	// NextCheckoutDue returns the earliest time a checkout is due, and
	// false when none is scheduled.
	NextCheckoutDue(ctx context.Context) (time.Time, bool, error)
	// CountDueCheckouts counts the checkouts due at now and not leased.
	CountDueCheckouts(ctx context.Context, now time.Time) (int, error)
}

// CheckoutTx is what a write transaction does to checkouts and their
// logs: registration, observations, wakes and claims.
type CheckoutTx interface {
	// CheckoutForUpdate returns the checkout with id, locked, or ENOTFOUND.
	CheckoutForUpdate(ctx context.Context, id string) (Checkout, error)
	// CheckoutByTokenForUpdate returns the checkout whose pages use token, locked, or ENOTFOUND.
	CheckoutByTokenForUpdate(ctx context.Context, token string) (Checkout, error)
	// FindCheckoutForUpdate returns the merchant's checkout with the given
	// identity, locked, or ENOTFOUND.
	FindCheckoutForUpdate(ctx context.Context, merchantID string, id Identity) (Checkout, error)
	// LockIdentity serializes, until the transaction ends, every
	// transaction that names the same (merchant, provider, reference):
	// the registration of a checkout and the callbacks naming it. An empty
	// ref locks nothing.
	LockIdentity(ctx context.Context, merchantID, provider, ref string) error
	// InsertCheckout stores a new checkout. It returns ErrDuplicate, with
	// the transaction still usable, when another checkout already holds
	// the idempotency key, reference or provider_ref.
	InsertCheckout(ctx context.Context, c Checkout) error
	// UpdateCheckout writes next's state, schedule and bookkeeping fields
	// and clears its lease, if the row still has before's version and
	// claim_seq (compare-and-set); otherwise ErrVersionConflict.
	UpdateCheckout(ctx context.Context, before, next Checkout) error
	// SetProviderRef records the provider's checkout id learned by a
	// repeated registration and bumps the version. It returns
	// ErrDuplicate when another checkout holds ref.
	SetProviderRef(ctx context.Context, id, ref string, now time.Time) error
	// ProviderRefTaken reports whether another of c's merchant's checkouts
	// with c's provider holds ref.
	ProviderRefTaken(ctx context.Context, c Checkout, ref string) (bool, error)
	// MarkCallbackReceived sets callback_received_at to at unless it is set.
	MarkCallbackReceived(ctx context.Context, id string, at time.Time) error
	// Wake makes a non-terminal checkout due at now for reason (see wake).
	Wake(ctx context.Context, id, reason string, now time.Time) error
	// AppendEvent adds an event to its checkout's log.
	AppendEvent(ctx context.Context, e Event) error
	// FoldEvent folds e into the checkout's latest event when that event
	// is identical to e but for its time (same source, type, provider
	// status, states and detail): its count grows by one and its last_at
	// becomes e.At. It reports whether it folded; false leaves the log
	// untouched.
	FoldEvent(ctx context.Context, e Event) (bool, error)
	// LastEventAt returns the time of the checkout's latest event of type
	// typ, or nil.
	LastEventAt(ctx context.Context, checkoutID, typ string) (*time.Time, error)
	// ClaimDueCheckouts leases up to limit checkouts due at now until
	// now+lease, oldest due first, skipping rows other transactions hold:
	// each bumps claim_seq and carries DueAt, when it was due.
	ClaimDueCheckouts(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]Checkout, error)
}

// Identity is one of the keys a checkout is registered under; exactly one
// of its fields besides Provider is set.
type Identity struct {
	IdempotencyKey string
	Provider       string // with Reference or ProviderRef
	Reference      string
	ProviderRef    string
}

// CheckoutQuery is a page of ListCheckouts as a backend sees it.
type CheckoutQuery struct {
	// Providers is every provider a Reference or ProviderRef lookup
	// looks in; the store sets it, so that the lookup names (merchant,
	// provider, reference) and searches the unique index of each provider
	// instead of walking the merchant's checkouts.
	Providers   []string
	Reference   string
	ProviderRef string
	State       State
	Limit       int
	// After, when set, starts after this (created_at, id) position.
	After *CheckoutPosition
}

// CheckoutPosition is a place in the newest-first order of checkouts.
type CheckoutPosition struct {
	CreatedAt time.Time
	ID        string
}
