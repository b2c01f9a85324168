package store

import (
	"context"
	"time"
)

// The seam's part for the callbacks: the inbox, stored callbacks and early (unmatched) ones.

// CallbackReader reads callbacks outside any transaction.
type CallbackReader interface {
	// CheckoutNamed reports whether a checkout of n's merchant and
	// provider is registered under n's TransactionID (its reference) or
	// n's ProviderCheckoutID (its provider_ref).
	CheckoutNamed(ctx context.Context, n Notification) (bool, error)
	// CheckoutNotifications returns the raw callbacks attached to the
	// checkout, oldest first.
	CheckoutNotifications(ctx context.Context, checkoutID string) ([]StoredNotification, error)
	// DeadInbox returns up to limit of the scope's dead inbox entries
	// (BuryInbox), the most recent first, and how many the scope has.
	DeadInbox(ctx context.Context, scope Scope, limit int) ([]DeadEntry, int, error)
}

// CallbackTx is what a write transaction does to callbacks: the inbox,
// matching a callback to its checkout, storing it, and the bounds on
// callbacks that match nothing.
type CallbackTx interface {
	// MatchNotification returns the oldest checkout of the merchant and
	// provider whose reference is transactionID or whose provider_ref is
	// providerCheckoutID; found is false when there is none.
	MatchNotification(ctx context.Context, n Notification) (id string, state State, found bool, err error)
	// TakeInbox returns up to limit inbox entries with an id above afterID,
	// oldest first, locked, skipping entries other transactions hold; they
	// are read in this transaction.
	TakeInbox(ctx context.Context, afterID int64, limit int) ([]InboxEntry, error)
	// DeleteInbox deletes the inbox entries with these ids in this
	// transaction: they go exactly when it commits.
	DeleteInbox(ctx context.Context, ids []int64) error
	// BuryInbox moves the inbox entry id to the dead entries with reason
	// and now, in this transaction; found is false when the inbox has no
	// such entry.
	BuryInbox(ctx context.Context, id int64, reason string, now time.Time) (found bool, err error)
	// InsertNotification stores a callback, attached to checkoutID unless
	// it is "", and returns its id. It returns ErrDuplicate, with the
	// transaction still usable, when a callback with n.InboxKey (if set)
	// is stored already.
	InsertNotification(ctx context.Context, n Notification, checkoutID string, at time.Time) (int64, error)
	// CheckoutCallbacks returns how many raw callbacks the checkout keeps
	// and their bodies' bytes, the id of the one with digest (0 when
	// none), and whether a callback with inboxKey (if not "") is stored.
	CheckoutCallbacks(ctx context.Context, checkoutID, digest, inboxKey string) (count int, bytes int64, same int64, keyed bool, err error)
	// RepeatNotification counts one more identical callback in the stored
	// callback id, last received at.
	RepeatNotification(ctx context.Context, id int64, at time.Time) error
	// UnmatchedNotifications returns the callbacks not attached to any
	// checkout that name the merchant's (provider, reference) or
	// (provider, provider_ref), oldest first.
	UnmatchedNotifications(ctx context.Context, merchantID, provider, reference, providerRef string) ([]EarlyNotification, error)
	// AttachNotification attaches a stored callback to a checkout.
	AttachNotification(ctx context.Context, notificationID int64, checkoutID string) error
	// RecentUnmatched counts the merchant's callbacks attached to no
	// checkout received at since or later, and returns the oldest's time
	// (zero when none): a range of an index, as short as the rate bound.
	RecentUnmatched(ctx context.Context, merchantID string, since time.Time) (count int, oldest time.Time, err error)
	// UnmatchedTotals returns how many of the merchant's callbacks are
	// attached to no checkout and their bodies' bytes, from one row that
	// the database keeps as callbacks are inserted, attached and deleted.
	UnmatchedTotals(ctx context.Context, merchantID string) (count int, bytes int64, err error)
}

// EarlyNotification is a callback stored before its checkout was registered.
type EarlyNotification struct {
	ID         int64
	Status     string
	ReceivedAt time.Time
}
