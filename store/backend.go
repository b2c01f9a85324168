package store

import (
	"context"
	"errors"
	"time"
)

// Backend is a database that keeps paysync's state. It offers row-level
// operations and transactions; the rules (the state machine, the outbox,
// what a callback or a registration does) are written once, in this
// package, on top of it. store/sqlite is the embedded backend; every
// backend passes the conformance suite in store/storetest.
//
// Times cross the seam as time.Time at millisecond precision; "now" is
// always passed in by the store (one reading per transaction), so a backend
// keeps no clock of its own.
type Backend interface {
	Reader
	// Write runs fn in one write transaction and returns once that
	// transaction committed, or with fn's error after rolling fn's writes
	// back. ctx bounds the wait for the transaction, not fn's statements
	// once it runs. A backend may run several Write calls in one commit
	// (group commit) as long as each keeps its own all-or-nothing outcome.
	Write(ctx context.Context, fn func(Tx) error) error
	// AppendInbox durably appends one acknowledged callback to the inbox
	// and returns once it is committed. It is a single insert, so a
	// backend may commit it with others without a savepoint of its own;
	// it fails only when the database does (I/O, disk full).
	AppendInbox(ctx context.Context, e InboxEntry) error
	// Ping reports whether the database answers with its schema complete.
	Ping(ctx context.Context) error
	// Close waits for the writes already queued and releases the database.
	Close() error

	// Size returns the database's size in bytes, as the operator pays for
	// it (SQLite: the file's pages; PostgreSQL: paysync's tables).
	Size(ctx context.Context) (int64, error)
	// Compact returns the space freed by deletions to the file system
	// where the database doesn't do it by itself (SQLite's incremental
	// vacuum, in short steps so that writers aren't stalled); a no-op on
	// PostgreSQL, whose autovacuum does it.
	Compact(ctx context.Context) error
}

// Reader is the read side of a Backend: each call reads committed state
// outside any write transaction. Lookups of one row return ENOTFOUND when
// there is none.
type Reader interface {
	Checkout(ctx context.Context, merchantID, id string) (Checkout, error)
	// CheckoutRev returns the Rev of the merchant's checkout with the given
	// id (one indexed column: far cheaper to read than the row), or
	// ENOTFOUND for an unknown id and for another merchant's.
	CheckoutRev(ctx context.Context, merchantID, id string) (int64, error)
	CheckoutByToken(ctx context.Context, token string) (Checkout, error)
	// CheckoutNamed reports whether a checkout of n's merchant and
	// provider is registered under n's TransactionID (its reference) or
	// n's ProviderCheckoutID (its provider_ref).
	CheckoutNamed(ctx context.Context, n Notification) (bool, error)
	// CheckoutByID returns the checkout of any merchant: for the wiring's
	// relay of other instances' changes, never for a merchant's request.
	CheckoutByID(ctx context.Context, id string) (Checkout, error)
	// ListCheckouts returns up to q.Limit of the merchant's checkouts
	// matching q, newest first (created_at, then id, descending).
	ListCheckouts(ctx context.Context, merchantID string, q CheckoutQuery) ([]Checkout, error)
	// Events returns the checkout's log, oldest first (none for an unknown id).
	Events(ctx context.Context, checkoutID string) ([]Event, error)

	Merchant(ctx context.Context, id string) (Merchant, error)
	MerchantByAPIKeyHash(ctx context.Context, hash []byte) (Merchant, error)
	MerchantByHookToken(ctx context.Context, token string) (Merchant, error)
	// SealedSecrets returns the merchant's sealed secrets blob.
	SealedSecrets(ctx context.Context, merchantID string) ([]byte, error)
	// FirstSealedSecrets returns one merchant's id and sealed secrets (the
	// lowest id), or ENOTFOUND when there is no merchant.
	FirstSealedSecrets(ctx context.Context) (merchantID string, sealed []byte, err error)
	HasMerchants(ctx context.Context) (bool, error)

	// NextCheckoutDue and NextDeliveryDue return the earliest scheduled
	// time, and false when nothing is scheduled.
	NextCheckoutDue(ctx context.Context) (time.Time, bool, error)
	NextDeliveryDue(ctx context.Context) (time.Time, bool, error)
	// CountDueCheckouts counts the checkouts due at now and not leased.
	CountDueCheckouts(ctx context.Context, now time.Time) (int, error)

	// Deliveries returns up to limit of the merchant's deliveries (of one
	// checkout when checkoutID is set), newest first, without History.
	Deliveries(ctx context.Context, merchantID, checkoutID string, limit int) ([]Delivery, error)
	// Attempts returns a delivery's attempts, oldest first.
	Attempts(ctx context.Context, deliveryID string) ([]DeliveryAttempt, error)

	// The console's reads (store/console.go): each puts its Scope in the
	// query itself, so a merchant scope never returns another's rows.

	// SearchCheckouts returns up to q.Limit checkouts within q.Scope
	// matching q, newest first (created_at, then id, descending).
	SearchCheckouts(ctx context.Context, q SearchQuery) ([]Checkout, error)
	// CountCheckoutsByState counts the scope's checkouts per state.
	CountCheckoutsByState(ctx context.Context, scope Scope) (map[State]int, error)
	// SettledBy counts the scope's checkouts settled (resolved_by set) and
	// last updated at or after since, per provider and resolved_by.
	SettledBy(ctx context.Context, scope Scope, since time.Time) ([]SettledCount, error)
	// DeliveriesByStatus returns up to limit of the scope's deliveries in
	// one of statuses, most recently updated first, without History.
	DeliveriesByStatus(ctx context.Context, scope Scope, statuses []string, limit int) ([]Delivery, error)
	// CheckoutNotifications returns the raw callbacks attached to the
	// checkout, oldest first.
	CheckoutNotifications(ctx context.Context, checkoutID string) ([]StoredNotification, error)
}

// Tx is one write transaction of a Backend. The "ForUpdate" reads lock
// the row they return until the transaction ends (SELECT … FOR UPDATE on
// a database with concurrent writers; a single-writer database is already
// serialized), so what the store decides from them can't be overtaken.
type Tx interface {
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
	// InsertNotification stores a callback, attached to checkoutID unless
	// it is "", and returns its id. It returns ErrDuplicate, with the
	// transaction still usable, when a callback with n.InboxKey (if set)
	// is stored already.
	InsertNotification(ctx context.Context, n Notification, checkoutID string, at time.Time) (int64, error)
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
	// ProbeWrite rewrites the one row of the readiness probe with now: a
	// write that must reach the disk like any other.
	ProbeWrite(ctx context.Context, now time.Time) error

	// PurgeHistory takes up to limit checkouts settled before settledBefore
	// whose history is still kept, oldest settled first, skipping rows other
	// transactions hold; deletes their events, their raw callbacks and the
	// attempts of their deliveries that aren't pending; and sets their
	// history_purged_at to now. The checkouts themselves stay.
	PurgeHistory(ctx context.Context, settledBefore time.Time, limit int, now time.Time) (Purged, error)
	// DeleteUnmatchedNotifications deletes up to limit callbacks attached
	// to no checkout and received before receivedBefore, skipping rows
	// other transactions hold, and returns how many it deleted.
	DeleteUnmatchedNotifications(ctx context.Context, receivedBefore time.Time, limit int) (int64, error)

	InsertMerchant(ctx context.Context, m Merchant, apiKeyHash, sealed []byte) error
	// SealedSecretsForUpdate returns the merchant's sealed secrets, locked, or ENOTFOUND.
	SealedSecretsForUpdate(ctx context.Context, merchantID string) ([]byte, error)
	UpdateSealedSecrets(ctx context.Context, merchantID string, sealed []byte) error
	// WebhookTarget returns the merchant's webhook URL and whether the
	// endpoint is disabled, or ENOTFOUND. The merchant row is locked for
	// share until the transaction ends, so an enable or disable of the
	// endpoint (which update that row first) can't commit between this read
	// and what the transaction writes from it (a delivery held or not).
	WebhookTarget(ctx context.Context, merchantID string) (url string, disabled bool, err error)
	// DisableEndpoint marks the merchant's endpoint disabled (keeping the
	// first time) and holds its pending deliveries that aren't leased.
	DisableEndpoint(ctx context.Context, merchantID string, now time.Time) error
	// EnableEndpoint clears the disabled mark and makes every held
	// delivery pending and due at now with a fresh schedule. It returns
	// how many were released, or ENOTFOUND for an unknown merchant.
	EnableEndpoint(ctx context.Context, merchantID string, now time.Time) (int64, error)

	// InsertDelivery adds a delivery to the outbox; a delivery for the same
	// (checkout, version, type) already there makes it a no-op.
	InsertDelivery(ctx context.Context, d Delivery) error
	// ClaimDueDeliveries leases up to limit pending deliveries due at now
	// until now+lease, oldest due first, skipping rows other transactions
	// hold; each bumps claim_seq.
	ClaimDueDeliveries(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]Delivery, error)
	// DeliveryForUpdate returns the delivery, locked, or ENOTFOUND.
	DeliveryForUpdate(ctx context.Context, id string) (Delivery, error)
	InsertAttempt(ctx context.Context, deliveryID string, a DeliveryAttempt) error
	// FreezeBody stores the body first sent, unless one is stored.
	FreezeBody(ctx context.Context, deliveryID string, body []byte) error
	// SetDeliveryOutcome writes an attempt's outcome and clears the lease
	// if the delivery's claim_seq is still claimSeq; otherwise it does
	// nothing (a later claim or a redelivery owns it now).
	SetDeliveryOutcome(ctx context.Context, id string, claimSeq int64, o DeliveryOutcome) error
	// RescheduleDelivery makes a delivery pending, due at now, with a fresh
	// schedule and a new claim_seq, and returns it.
	RescheduleDelivery(ctx context.Context, id string, now time.Time) (Delivery, error)
	// FailedDeliveriesSince returns the scope's failed deliveries last
	// updated (failed) at or after since, locked, oldest first.
	FailedDeliveriesSince(ctx context.Context, scope Scope, since time.Time) ([]Delivery, error)
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

// EarlyNotification is a callback stored before its checkout was registered.
type EarlyNotification struct {
	ID         int64
	Status     string
	ReceivedAt time.Time
}

// DeliveryOutcome is what an attempt made of a delivery.
type DeliveryOutcome struct {
	Status   string     // DeliveryDelivered, DeliveryPending, DeliveryFailed or DeliveryDisabled
	Attempts int        // attempts to add (1 when a request was made)
	NextAt   *time.Time // with DeliveryPending
	Now      time.Time
}

// Purged counts the rows one PurgeHistory deleted, by table, and the
// checkouts whose history it purged.
type Purged struct {
	Checkouts     int64
	Events        int64
	Notifications int64
	Attempts      int64
	// IDs are the checkouts whose history one PurgeHistory purged (a
	// Swept, summing batches, leaves it empty).
	IDs []string
}

// ErrDuplicate is what a backend's insert returns when a unique key is
// already taken; the store then finds the row that holds it.
var ErrDuplicate = errors.New("duplicate key")
