package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ClaimDeliveries leases up to limit pending deliveries whose attempt is
// due, oldest due first, in one statement served by the deliveries_due
// index. Their next_attempt_at moves to now+lease, so a delivery whose
// dispatcher died comes back by itself.
func (db *DB) ClaimDeliveries(ctx context.Context, limit int, lease time.Duration) ([]Delivery, error) {
	var out []Delivery
	err := db.exec(ctx, func(tx *sql.Tx) error {
		now := db.Now()
		until := ms(now.Add(lease))
		rows, err := tx.Query(`UPDATE deliveries SET next_attempt_at = ?, lease_until = ?, claim_seq = claim_seq + 1
			WHERE id IN (SELECT id FROM deliveries WHERE next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?)
			RETURNING `+deliveryColumns, until, until, ms(now), limit)
		if err != nil {
			return fmt.Errorf("claim: %w", err)
		}
		defer rows.Close()
		out = out[:0]
		for rows.Next() {
			d, err := scanDelivery(rows)
			if err != nil {
				return fmt.Errorf("claim: %w", err)
			}
			out = append(out, d)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("claim due deliveries: %w", err)
	}
	return out, nil
}

// NextDeliveryDue returns the earliest next_attempt_at, and false when no
// delivery is scheduled.
func (db *DB) NextDeliveryDue(ctx context.Context) (time.Time, bool, error) {
	var v sql.NullInt64
	if err := db.read.QueryRowContext(ctx, `SELECT min(next_attempt_at) FROM deliveries WHERE next_attempt_at IS NOT NULL`).Scan(&v); err != nil {
		return time.Time{}, false, fmt.Errorf("next delivery due: %w", err)
	}
	if !v.Valid {
		return time.Time{}, false, nil
	}
	return fromMS(v.Int64), true, nil
}

// ReleaseDeliveryLeases makes every leased delivery due at once. Call it
// only when no other dispatcher shares the database.
func (db *DB) ReleaseDeliveryLeases(ctx context.Context) error {
	err := db.exec(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`UPDATE deliveries SET next_attempt_at = ?, lease_until = NULL
			WHERE lease_until IS NOT NULL AND status = ?`, ms(db.Now()), DeliveryPending)
		return err
	})
	if err != nil {
		return fmt.Errorf("release delivery leases: %w", err)
	}
	return nil
}

// AttemptResult is what a dispatcher learned trying one claimed delivery.
type AttemptResult struct {
	DeliveryID string
	ClaimSeq   int64            // as claimed; a later claim or a redelivery makes the outcome moot
	Attempt    *DeliveryAttempt // nil when no request was made (endpoint disabled or removed)
	Body       []byte           // the body sent, frozen for later attempts if none was yet
	Status     string           // DeliveryDelivered, DeliveryPending (retry), DeliveryFailed or DeliveryDisabled
	NextAt     *time.Time       // with DeliveryPending: when to try again
	Disable    bool             // the endpoint answered 410 Gone: disable it for the merchant
}

// RecordAttempt records an attempt and its outcome in one transaction: the
// attempt row (always: it happened), the frozen body, and, if the lease is
// still this dispatcher's, the delivery's new status and schedule. Disable
// also disables the merchant's endpoint and holds its other pending
// deliveries.
func (db *DB) RecordAttempt(ctx context.Context, r AttemptResult) error {
	err := db.exec(ctx, func(tx *sql.Tx) error {
		now := db.Now()
		var merchantID string
		if err := tx.QueryRow(`SELECT merchant_id FROM deliveries WHERE id = ?`, r.DeliveryID).Scan(&merchantID); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return Errorf(ENOTFOUND, "delivery not found")
			}
			return err
		}
		inc := 0
		if a := r.Attempt; a != nil {
			inc = 1
			if _, err := tx.Exec(`INSERT INTO delivery_attempts (delivery_id, at, url, status_code, error, latency_ms, response)
				VALUES (?,?,?,?,?,?,?)`, r.DeliveryID, ms(a.At), a.URL, a.StatusCode, a.Error, a.Latency.Milliseconds(), a.Response); err != nil {
				return fmt.Errorf("insert attempt: %w", err)
			}
		}
		if r.Body != nil {
			if _, err := tx.Exec(`UPDATE deliveries SET body = ? WHERE id = ? AND body IS NULL`, r.Body, r.DeliveryID); err != nil {
				return fmt.Errorf("freeze body: %w", err)
			}
		}
		next := nullMS(r.NextAt)
		if r.Status != DeliveryPending {
			next = sql.NullInt64{}
		}
		if _, err := tx.Exec(`UPDATE deliveries SET status = ?, attempts = attempts + ?, next_attempt_at = ?, lease_until = NULL,
			updated_at = ? WHERE id = ? AND claim_seq = ?`, r.Status, inc, next, ms(now), r.DeliveryID, r.ClaimSeq); err != nil {
			return fmt.Errorf("update delivery: %w", err)
		}
		if r.Disable {
			return disableEndpoint(tx, merchantID, now)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("record delivery attempt: %w", err)
	}
	return nil
}

// disableEndpoint marks the merchant's webhook endpoint disabled and holds
// its pending deliveries that aren't in flight.
func disableEndpoint(tx *sql.Tx, merchantID string, now time.Time) error {
	if _, err := tx.Exec(`UPDATE merchants SET webhook_disabled_at = ? WHERE id = ? AND webhook_disabled_at IS NULL`, ms(now), merchantID); err != nil {
		return fmt.Errorf("disable endpoint: %w", err)
	}
	if _, err := tx.Exec(`UPDATE deliveries SET status = ?, next_attempt_at = NULL, updated_at = ?
		WHERE merchant_id = ? AND status = ? AND lease_until IS NULL`, DeliveryDisabled, ms(now), merchantID, DeliveryPending); err != nil {
		return fmt.Errorf("hold deliveries: %w", err)
	}
	return nil
}

// DeliveryFilter narrows Deliveries.
type DeliveryFilter struct {
	CheckoutID string // "" for all the merchant's checkouts
	Limit      int    // 1..200, default 50
}

// Deliveries returns the merchant's deliveries, newest first, each with
// its attempts. A CheckoutID of another merchant, or unknown, is ENOTFOUND.
func (db *DB) Deliveries(ctx context.Context, merchantID string, f DeliveryFilter) ([]Delivery, error) {
	if f.CheckoutID != "" {
		if _, err := db.Checkout(ctx, merchantID, f.CheckoutID); err != nil {
			return nil, err
		}
	}
	limit := f.Limit
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	q := `SELECT ` + deliveryColumns + ` FROM deliveries WHERE merchant_id = ?`
	args := []any{merchantID}
	if f.CheckoutID != "" {
		q += ` AND checkout_id = ?`
		args = append(args, f.CheckoutID)
	}
	rows, err := db.read.QueryContext(ctx, q+` ORDER BY created_at DESC, rowid DESC LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("list deliveries: %w", err)
	}
	defer rows.Close()
	var out []Delivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, fmt.Errorf("list deliveries: %w", err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list deliveries: %w", err)
	}
	for i := range out {
		if out[i].History, err = db.attempts(ctx, out[i].ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (db *DB) attempts(ctx context.Context, deliveryID string) ([]DeliveryAttempt, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT at, url, status_code, error, latency_ms, response
		FROM delivery_attempts WHERE delivery_id = ? ORDER BY id`, deliveryID)
	if err != nil {
		return nil, fmt.Errorf("list attempts: %w", err)
	}
	defer rows.Close()
	out := []DeliveryAttempt{}
	for rows.Next() {
		var a DeliveryAttempt
		var at, latency int64
		if err := rows.Scan(&at, &a.URL, &a.StatusCode, &a.Error, &latency, &a.Response); err != nil {
			return nil, fmt.Errorf("list attempts: %w", err)
		}
		a.At, a.Latency = fromMS(at), time.Duration(latency)*time.Millisecond
		out = append(out, a)
	}
	return out, rows.Err()
}

// Redeliver makes the merchant's delivery due now with a fresh retry
// schedule and the same webhook-id and body. It returns the delivery,
// ENOTFOUND for another merchant's or an unknown one, and ECONFLICT while
// the merchant's endpoint is disabled or has no URL.
func (db *DB) Redeliver(ctx context.Context, merchantID, id string) (Delivery, error) {
	var out Delivery
	err := db.exec(ctx, func(tx *sql.Tx) error {
		now := db.Now()
		var url string
		var disabled sql.NullInt64
		err := tx.QueryRow(`SELECT m.webhook_url, m.webhook_disabled_at FROM deliveries d JOIN merchants m ON m.id = d.merchant_id
			WHERE d.id = ? AND d.merchant_id = ?`, id, merchantID).Scan(&url, &disabled)
		if errors.Is(err, sql.ErrNoRows) {
			return Errorf(ENOTFOUND, "delivery not found")
		}
		if err != nil {
			return err
		}
		if url == "" || disabled.Valid {
			return Errorf(ECONFLICT, "the merchant's webhook endpoint is disabled or unset; re-enable it first")
		}
		// claim_seq moves so an attempt in flight can't overwrite the new schedule.
		out, err = scanDelivery(tx.QueryRow(`UPDATE deliveries SET status = ?, attempts = 0, next_attempt_at = ?, lease_until = NULL,
			claim_seq = claim_seq + 1, updated_at = ? WHERE id = ? RETURNING `+deliveryColumns, DeliveryPending, ms(now), ms(now), id))
		return err
	})
	if err != nil {
		return Delivery{}, fmt.Errorf("redeliver: %w", err)
	}
	return out, nil
}
