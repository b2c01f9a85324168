package store

import (
	"context"
	"time"
)

// The seam's part for the outbox of merchant webhooks: deliveries and their attempts.

// DeliveryReader reads deliveries outside any transaction.
type DeliveryReader interface {
	// NextDeliveryDue returns the earliest time a delivery is due, and
	// false when none is scheduled.
	NextDeliveryDue(ctx context.Context) (time.Time, bool, error)
	// Deliveries returns up to limit of the merchant's deliveries (of one
	// checkout when checkoutID is set), newest first, without History.
	Deliveries(ctx context.Context, merchantID, checkoutID string, limit int) ([]Delivery, error)
	// Attempts returns a delivery's attempts, oldest first.
	Attempts(ctx context.Context, deliveryID string) ([]DeliveryAttempt, error)
}

// DeliveryTx is what a write transaction does to deliveries: the
// outbox, claims, attempts and their outcomes.
type DeliveryTx interface {
	// InsertDelivery adds a delivery to the outbox; a delivery for the same
	// (checkout, version, type) already there makes it a no-op.
	InsertDelivery(ctx context.Context, d Delivery) error
	// InsertLeasedDelivery adds a delivery to the outbox already claimed
	// by this process until until (claim_seq 1), and reports whether it
	// did; false when a delivery for the same (checkout, version, type) is
	// there already (a no-op), or when this instance may claim nothing
	// now (PostgreSQL without a liveness session: then it is inserted as
	// InsertDelivery inserts it).
	InsertLeasedDelivery(ctx context.Context, d Delivery, until time.Time) (bool, error)
	// ClaimDueDeliveries leases up to limit pending deliveries due at now
	// until now+lease, oldest due first, skipping rows other transactions
	// hold; each bumps claim_seq.
	ClaimDueDeliveries(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]Delivery, error)
	// DeliveryForUpdate returns the delivery, locked, or ENOTFOUND.
	DeliveryForUpdate(ctx context.Context, id string) (Delivery, error)
	// InsertAttempt records one attempt of a delivery.
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

// DeliveryOutcome is what an attempt made of a delivery.
type DeliveryOutcome struct {
	Status   string     // DeliveryDelivered, DeliveryPending, DeliveryFailed or DeliveryDisabled
	Attempts int        // attempts to add (1 when a request was made)
	NextAt   *time.Time // with DeliveryPending
	Now      time.Time
}
