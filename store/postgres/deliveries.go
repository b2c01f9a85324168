package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/paysync/paysync/store"
	"github.com/paysync/paysync/store/internal/rowscan"
)

// deliveryDue tells the dispatchers of every instance that a delivery is due.
func (t *tx) deliveryDue() error {
	return t.notify(signalPayload(store.Signal{Kind: store.SignalDeliveryDue}))
}

// InsertDelivery implements store.Tx; the UNIQUE (checkout_id, version,
// type) constraint makes a repeat a no-op.
func (t *tx) InsertDelivery(ctx context.Context, d store.Delivery) error {
	snap, err := json.Marshal(d.Checkout)
	if err != nil {
		return err
	}
	tag, err := t.exec(`INSERT INTO deliveries (id, merchant_id, checkout_id, version, type, snapshot, status,
		next_attempt_at, created_at, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)
		ON CONFLICT (checkout_id, version, type) DO NOTHING`,
		d.ID, d.MerchantID, d.CheckoutID, d.Version, d.Type, snap, d.Status, nullMS(d.NextAttemptAt), ms(d.CreatedAt), ms(d.UpdatedAt))
	if err != nil || tag.RowsAffected() == 0 || d.NextAttemptAt == nil {
		return err
	}
	return t.deliveryDue()
}

// InsertLeasedDelivery implements store.Tx: the row goes in claimed by
// this instance (claim_seq 1, claimed_by), its lease and next attempt at
// until, as a claim leaves it; no other instance is told (nothing is
// due). Without a liveness session it goes in as InsertDelivery puts it.
func (t *tx) InsertLeasedDelivery(ctx context.Context, d store.Delivery, until time.Time) (bool, error) {
	owner, ok := t.live.claimant()
	if !ok {
		return false, t.InsertDelivery(ctx, d)
	}
	snap, err := json.Marshal(d.Checkout)
	if err != nil {
		return false, err
	}
	tag, err := t.exec(`INSERT INTO deliveries (id, merchant_id, checkout_id, version, type, snapshot, status,
		next_attempt_at, lease_until, claim_seq, claimed_by, claimed_at, created_at, updated_at)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$8,1,$9,$10,$10,$11)
		ON CONFLICT (checkout_id, version, type) DO NOTHING`,
		d.ID, d.MerchantID, d.CheckoutID, d.Version, d.Type, snap, d.Status, ms(until), nullString(owner), ms(d.CreatedAt), ms(d.UpdatedAt))
	if err != nil {
		return false, err
	}
	return tag.RowsAffected() == 1, nil
}

// DeliveryForUpdate implements store.Tx.
func (t *tx) DeliveryForUpdate(ctx context.Context, id string) (store.Delivery, error) {
	d, err := rowscan.ScanDelivery(t.QueryRow(t.ctx, `SELECT `+rowscan.DeliveryColumns+` FROM deliveries WHERE id = $1 FOR UPDATE`, id))
	if isNoRows(err) {
		return store.Delivery{}, store.Errorf(store.ENOTFOUND, "delivery not found")
	}
	return d, err
}

// InsertAttempt implements store.Tx.
func (t *tx) InsertAttempt(ctx context.Context, deliveryID string, a store.DeliveryAttempt) error {
	_, err := t.exec(`INSERT INTO delivery_attempts (delivery_id, at, url, status_code, error, latency_ms, response)
		VALUES ($1,$2,$3,$4,$5,$6,$7)`, deliveryID, ms(a.At), a.URL, a.StatusCode, a.Error, a.Latency.Milliseconds(), a.Response)
	return err
}

// FreezeBody implements store.Tx.
func (t *tx) FreezeBody(ctx context.Context, deliveryID string, body []byte) error {
	_, err := t.exec(`UPDATE deliveries SET body = $1 WHERE id = $2 AND body IS NULL`, body, deliveryID)
	return err
}

// SetDeliveryOutcome implements store.Tx (compare-and-set on claim_seq).
func (t *tx) SetDeliveryOutcome(ctx context.Context, id string, claimSeq int64, o store.DeliveryOutcome) error {
	_, err := t.exec(`UPDATE deliveries SET status = $1, attempts = attempts + $2, next_attempt_at = $3, lease_until = NULL,
		updated_at = $4 WHERE id = $5 AND claim_seq = $6`, o.Status, o.Attempts, nullMS(o.NextAt), ms(o.Now), id, claimSeq)
	return err
}

// DisableEndpoint implements store.Tx.
func (t *tx) DisableEndpoint(ctx context.Context, merchantID string, now time.Time) error {
	if _, err := t.exec(`UPDATE merchants SET webhook_disabled_at = $1 WHERE id = $2 AND webhook_disabled_at IS NULL`, ms(now), merchantID); err != nil {
		return fmt.Errorf("disable endpoint: %w", err)
	}
	if _, err := t.exec(`UPDATE deliveries SET status = $1, next_attempt_at = NULL, updated_at = $2
		WHERE merchant_id = $3 AND status = $4 AND lease_until IS NULL`, store.DeliveryDisabled, ms(now), merchantID, store.DeliveryPending); err != nil {
		return fmt.Errorf("hold deliveries: %w", err)
	}
	return nil
}

// EnableEndpoint implements store.Tx.
func (t *tx) EnableEndpoint(ctx context.Context, merchantID string, now time.Time) (int64, error) {
	tag, err := t.exec(`UPDATE merchants SET webhook_disabled_at = NULL WHERE id = $1`, merchantID)
	if err != nil {
		return 0, err
	}
	if tag.RowsAffected() == 0 {
		return 0, errMerchantNotFound()
	}
	tag, err = t.exec(`UPDATE deliveries SET status = $1, attempts = 0, next_attempt_at = $2, updated_at = $2
		WHERE merchant_id = $3 AND status = $4`, store.DeliveryPending, ms(now), merchantID, store.DeliveryDisabled)
	if err != nil {
		return 0, err
	}
	if tag.RowsAffected() > 0 {
		if err := t.deliveryDue(); err != nil {
			return 0, err
		}
	}
	return tag.RowsAffected(), nil
}

// RescheduleDelivery implements store.Tx.
func (t *tx) RescheduleDelivery(ctx context.Context, id string, now time.Time) (store.Delivery, error) {
	d, err := rowscan.ScanDelivery(t.QueryRow(t.ctx, `UPDATE deliveries SET status = $1, attempts = 0, next_attempt_at = $2, lease_until = NULL,
		claim_seq = claim_seq + 1, updated_at = $2 WHERE id = $3 RETURNING `+rowscan.DeliveryColumns, store.DeliveryPending, ms(now), id))
	if err != nil {
		return store.Delivery{}, err
	}
	return d, t.deliveryDue()
}

// Deliveries implements store.Reader.
func (b *Backend) Deliveries(ctx context.Context, merchantID, checkoutID string, limit int) ([]store.Delivery, error) {
	q, args := deliveriesSQL(merchantID, checkoutID, limit)
	rows, err := b.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return rowscan.Collect(rows, rowscan.ScanDelivery)
}

// Attempts implements store.Reader.
func (b *Backend) Attempts(ctx context.Context, deliveryID string) ([]store.DeliveryAttempt, error) {
	rows, err := b.pool.Query(ctx, `SELECT `+rowscan.AttemptColumns+` FROM delivery_attempts WHERE delivery_id = $1 ORDER BY id`, deliveryID)
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
// in order (migration 0002; pinned by TestListQueriesUseTheirIndexes).
func deliveriesSQL(merchantID, checkoutID string, limit int) (string, []any) {
	q := `SELECT ` + rowscan.DeliveryColumns + ` FROM deliveries WHERE merchant_id = $1`
	args := []any{merchantID}
	if checkoutID != "" {
		q += ` AND checkout_id = $2`
		args = append(args, checkoutID)
	}
	args = append(args, limit)
	return q + fmt.Sprintf(` ORDER BY created_at DESC, seq DESC LIMIT $%d`, len(args)), args
}
