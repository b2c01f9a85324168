package store

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Delivery is one webhook announcing one change of one checkout to its
// merchant (docs/architecture.md, "Webhooks"). Its ID is the webhook-id of every attempt.
type Delivery struct {
	ID            string
	MerchantID    string
	CheckoutID    string
	Version       int64    // the checkout version it announces
	Type          string   // WebhookCheckoutSucceeded …
	Checkout      Checkout // the checkout at that version
	Body          []byte   // the body as first sent; nil before the first attempt
	Status        string   // DeliveryPending …
	Attempts      int      // attempts in the current schedule (a redelivery starts a new one)
	NextAttemptAt *time.Time
	ClaimSeq      int64 // bumped by every claim: identifies the dispatcher's lease
	CreatedAt     time.Time
	UpdatedAt     time.Time
	History       []DeliveryAttempt // filled by Deliveries only, oldest first
}

// DeliveryAttempt is one POST to the merchant's endpoint.
type DeliveryAttempt struct {
	At         time.Time
	URL        string
	StatusCode int    // 0 when no HTTP answer came
	Error      string // why there was no answer (timeout, connection, address_refused …); "" otherwise
	Latency    time.Duration
	Response   string // first KiB of the response body
}

// Delivery statuses.
const (
	DeliveryPending   = "pending"   // will be attempted at NextAttemptAt
	DeliveryDelivered = "delivered" // the endpoint answered 2xx
	DeliveryFailed    = "failed"    // the retry schedule is spent
	DeliveryDisabled  = "disabled"  // held: the endpoint is disabled (410 Gone)
)

// Webhook event types (docs/architecture.md, "Webhooks").
const (
	WebhookActionRequired = "checkout.action_required"
	WebhookSucceeded      = "checkout.succeeded"
	WebhookFailed         = "checkout.failed"
	WebhookCancelled      = "checkout.cancelled"
	WebhookExpired        = "checkout.expired"
	WebhookAnomaly        = "checkout.anomaly"
)

// webhookTypes returns the events a change from before to after announces:
// one per new state the merchant can act on (action_required, the terminal
// states, expired), and checkout.anomaly when a new anomaly was raised,
// with or without a state change. A return to pending announces nothing.
func webhookTypes(before, after Checkout) []string {
	var out []string
	if after.State != before.State {
		switch after.State {
		case StateActionRequired, StateSucceeded, StateFailed, StateCancelled, StateExpired:
			out = append(out, "checkout."+string(after.State))
		}
	}
	if after.Anomaly != nil && !sameAnomaly(before.Anomaly, after.Anomaly) {
		out = append(out, WebhookAnomaly)
	}
	return out
}

// enqueueDeliveries writes, in the caller's transaction, one delivery per
// event the change announces, if the merchant has a webhook URL. A repeat
// for the same (checkout, version, type) is a no-op (the backend's unique
// key). A merchant whose endpoint is disabled gets the rows held
// (disabled), to go out when it is re-enabled.
func enqueueDeliveries(ctx context.Context, tx Tx, before, after Checkout, now time.Time) error {
	types := webhookTypes(before, after)
	if len(types) == 0 {
		return nil
	}
	url, disabled, err := tx.WebhookTarget(ctx, after.MerchantID)
	if err != nil {
		return fmt.Errorf("enqueue webhooks: %w", err)
	}
	if url == "" {
		return nil
	}
	status, next := DeliveryPending, &now
	if disabled {
		status, next = DeliveryDisabled, nil
	}
	for _, typ := range types {
		d := Delivery{ID: "msg_" + uuid.NewString(), MerchantID: after.MerchantID, CheckoutID: after.ID,
			Version: after.Version, Type: typ, Checkout: after, Status: status, NextAttemptAt: next,
			CreatedAt: now, UpdatedAt: now}
		if err := tx.InsertDelivery(ctx, d); err != nil {
			return fmt.Errorf("enqueue webhook %s: %w", typ, err)
		}
	}
	return nil
}
