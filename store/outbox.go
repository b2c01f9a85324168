package store

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Delivery is one webhook announcing one change of one checkout to its
// merchant (CONTRACT §6). Its ID is the webhook-id of every attempt.
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

// Webhook event types (CONTRACT §6).
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
// event the change announces, if the merchant has a webhook URL. The
// UNIQUE (checkout_id, version, type) constraint makes a repeat a no-op. A
// merchant whose endpoint is disabled gets the rows held (disabled), to go
// out when it is re-enabled.
func enqueueDeliveries(tx *sql.Tx, before, after Checkout, now time.Time) error {
	types := webhookTypes(before, after)
	if len(types) == 0 {
		return nil
	}
	var url string
	var disabled sql.NullInt64
	if err := tx.QueryRow(`SELECT webhook_url, webhook_disabled_at FROM merchants WHERE id = ?`, after.MerchantID).Scan(&url, &disabled); err != nil {
		return fmt.Errorf("enqueue webhooks: %w", err)
	}
	if url == "" {
		return nil
	}
	status, next := DeliveryPending, sql.NullInt64{Int64: ms(now), Valid: true}
	if disabled.Valid {
		status, next = DeliveryDisabled, sql.NullInt64{}
	}
	snap, err := json.Marshal(after)
	if err != nil {
		return fmt.Errorf("enqueue webhooks: %w", err)
	}
	for _, typ := range types {
		_, err := tx.Exec(`INSERT INTO deliveries (id, merchant_id, checkout_id, version, type, snapshot, status,
			next_attempt_at, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)
			ON CONFLICT (checkout_id, version, type) DO NOTHING`,
			"msg_"+uuid.NewString(), after.MerchantID, after.ID, after.Version, typ, snap, status, next, ms(now), ms(now))
		if err != nil {
			return fmt.Errorf("enqueue webhook %s: %w", typ, err)
		}
	}
	return nil
}

const deliveryColumns = `id, merchant_id, checkout_id, version, type, snapshot, body, status, attempts,
	next_attempt_at, claim_seq, created_at, updated_at`

func scanDelivery(row interface{ Scan(...any) error }) (Delivery, error) {
	var d Delivery
	var snap []byte
	var next sql.NullInt64
	var created, updated int64
	if err := row.Scan(&d.ID, &d.MerchantID, &d.CheckoutID, &d.Version, &d.Type, &snap, &d.Body, &d.Status,
		&d.Attempts, &next, &d.ClaimSeq, &created, &updated); err != nil {
		return Delivery{}, err
	}
	if err := json.Unmarshal(snap, &d.Checkout); err != nil {
		return Delivery{}, fmt.Errorf("delivery %s snapshot: %w", d.ID, err)
	}
	d.NextAttemptAt, d.CreatedAt, d.UpdatedAt = timePtr(next), fromMS(created), fromMS(updated)
	return d, nil
}
