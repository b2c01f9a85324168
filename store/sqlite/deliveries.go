package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/paysync/paysync/store"
	"github.com/paysync/paysync/store/internal/rowscan"
)

// InsertDelivery implements store.Tx; the UNIQUE (checkout_id, version,
// type) constraint makes a repeat a no-op.
func (t *tx) InsertDelivery(ctx context.Context, d store.Delivery) error {
	snap, err := json.Marshal(d.Checkout)
	if err != nil {
		return err
	}
	_, err = t.Exec(`INSERT INTO deliveries (id, merchant_id, checkout_id, version, type, snapshot, status,
		next_attempt_at, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)
		ON CONFLICT (checkout_id, version, type) DO NOTHING`,
		d.ID, d.MerchantID, d.CheckoutID, d.Version, d.Type, snap, d.Status, nullMS(d.NextAttemptAt), ms(d.CreatedAt), ms(d.UpdatedAt))
	return err
}

// InsertLeasedDelivery implements store.Tx: the row goes in claimed
// (claim_seq 1), its lease and next attempt at until, as a claim leaves it.
func (t *tx) InsertLeasedDelivery(ctx context.Context, d store.Delivery, until time.Time) (bool, error) {
	snap, err := json.Marshal(d.Checkout)
	if err != nil {
		return false, err
	}
	res, err := t.Exec(`INSERT INTO deliveries (id, merchant_id, checkout_id, version, type, snapshot, status,
		next_attempt_at, lease_until, claim_seq, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,1,?,?)
		ON CONFLICT (checkout_id, version, type) DO NOTHING`,
		d.ID, d.MerchantID, d.CheckoutID, d.Version, d.Type, snap, d.Status, ms(until), ms(until), ms(d.CreatedAt), ms(d.UpdatedAt))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// DeliveryForUpdate implements store.Tx.
func (t *tx) DeliveryForUpdate(ctx context.Context, id string) (store.Delivery, error) {
	d, err := rowscan.ScanDelivery(t.QueryRow(`SELECT `+rowscan.DeliveryColumns+` FROM deliveries WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return store.Delivery{}, store.Errorf(store.ENOTFOUND, "delivery not found")
	}
	return d, err
}

// InsertAttempt implements store.Tx.
func (t *tx) InsertAttempt(ctx context.Context, deliveryID string, a store.DeliveryAttempt) error {
	_, err := t.Exec(`INSERT INTO delivery_attempts (delivery_id, at, url, status_code, error, latency_ms, response)
		VALUES (?,?,?,?,?,?,?)`, deliveryID, ms(a.At), a.URL, a.StatusCode, a.Error, a.Latency.Milliseconds(), a.Response)
	return err
}

// FreezeBody implements store.Tx.
func (t *tx) FreezeBody(ctx context.Context, deliveryID string, body []byte) error {
	_, err := t.Exec(`UPDATE deliveries SET body = ? WHERE id = ? AND body IS NULL`, body, deliveryID)
	return err
}

// SetDeliveryOutcome implements store.Tx (compare-and-set on claim_seq).
func (t *tx) SetDeliveryOutcome(ctx context.Context, id string, claimSeq int64, o store.DeliveryOutcome) error {
	_, err := t.Exec(`UPDATE deliveries SET status = ?, attempts = attempts + ?, next_attempt_at = ?, lease_until = NULL,
		updated_at = ? WHERE id = ? AND claim_seq = ?`, o.Status, o.Attempts, nullMS(o.NextAt), ms(o.Now), id, claimSeq)
	return err
}

// DisableEndpoint implements store.Tx.
func (t *tx) DisableEndpoint(ctx context.Context, merchantID string, now time.Time) error {
	if _, err := t.Exec(`UPDATE merchants SET webhook_disabled_at = ? WHERE id = ? AND webhook_disabled_at IS NULL`, ms(now), merchantID); err != nil {
		return fmt.Errorf("disable endpoint: %w", err)
	}
	if _, err := t.Exec(`UPDATE deliveries SET status = ?, next_attempt_at = NULL, updated_at = ?
		WHERE merchant_id = ? AND status = ? AND lease_until IS NULL`, store.DeliveryDisabled, ms(now), merchantID, store.DeliveryPending); err != nil {
		return fmt.Errorf("hold deliveries: %w", err)
	}
	return nil
}

// EnableEndpoint implements store.Tx.
func (t *tx) EnableEndpoint(ctx context.Context, merchantID string, now time.Time) (int64, error) {
	res, err := t.Exec(`UPDATE merchants SET webhook_disabled_at = NULL WHERE id = ?`, merchantID)
	if err != nil {
		return 0, err
	}
	if k, err := res.RowsAffected(); err != nil {
		return 0, err
	} else if k == 0 {
		return 0, errMerchantNotFound()
	}
	res, err = t.Exec(`UPDATE deliveries SET status = ?, attempts = 0, next_attempt_at = ?, updated_at = ?
		WHERE merchant_id = ? AND status = ?`, store.DeliveryPending, ms(now), ms(now), merchantID, store.DeliveryDisabled)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// RescheduleDelivery implements store.Tx.
func (t *tx) RescheduleDelivery(ctx context.Context, id string, now time.Time) (store.Delivery, error) {
	return rowscan.ScanDelivery(t.QueryRow(`UPDATE deliveries SET status = ?, attempts = 0, next_attempt_at = ?, lease_until = NULL,
		claim_seq = claim_seq + 1, updated_at = ? WHERE id = ? RETURNING `+rowscan.DeliveryColumns, store.DeliveryPending, ms(now), ms(now), id))
}

// Deliveries implements store.Reader.
func (b *Backend) Deliveries(ctx context.Context, merchantID, checkoutID string, limit int) ([]store.Delivery, error) {
	q, args := deliveriesSQL(merchantID, checkoutID, limit)
	rows, err := b.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return rowscan.Collect(rows, rowscan.ScanDelivery)
}

// Attempts implements store.Reader.
func (b *Backend) Attempts(ctx context.Context, deliveryID string) ([]store.DeliveryAttempt, error) {
	rows, err := b.read.QueryContext(ctx, `SELECT `+rowscan.AttemptColumns+` FROM delivery_attempts WHERE delivery_id = ? ORDER BY id`, deliveryID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out, err := rowscan.Collect(rows, rowscan.ScanAttempt)
	if out == nil {
		out = []store.DeliveryAttempt{}
	}
	return out, err
}

// deliveriesSQL is Deliveries' query, newest first: one checkout's walk
// deliveries_checkout, the merchant's all walk deliveries_merchant_created
// backwards (created_at, then the rowid every index ends with), so neither
// sorts (migration 0005; pinned by TestListQueriesUseTheirIndexes).
func deliveriesSQL(merchantID, checkoutID string, limit int) (string, []any) {
	q := `SELECT ` + rowscan.DeliveryColumns + ` FROM deliveries WHERE merchant_id = ?`
	args := []any{merchantID}
	if checkoutID != "" {
		q += ` AND checkout_id = ?`
		args = append(args, checkoutID)
	}
	return q + ` ORDER BY created_at DESC, rowid DESC LIMIT ?`, append(args, limit)
}
