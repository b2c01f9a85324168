package postgres

import (
	"context"
	"fmt"

	"github.com/paysync/paysync/store"
	"github.com/paysync/paysync/store/internal/rowscan"
)

// AppendInbox implements store.Backend: one insert, committed on its own.
func (b *Backend) AppendInbox(ctx context.Context, e store.InboxEntry) error {
	_, err := b.pool.Exec(ctx, `INSERT INTO inbox (key, merchant_id, provider, transaction_id, provider_checkout_id, status,
		content_type, query, body, received_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)`,
		e.InboxKey, e.MerchantID, e.Provider, e.TransactionID, e.ProviderCheckoutID, e.Status, e.ContentType, e.Query, e.Body, ms(e.ReceivedAt))
	return err
}

// CheckoutNamed implements store.Reader, with the callback match's statement.
func (b *Backend) CheckoutNamed(ctx context.Context, n store.Notification) (bool, error) {
	var id, state string
	err := b.pool.QueryRow(ctx, matchNotificationSQL, n.MerchantID, n.Provider, n.TransactionID, n.ProviderCheckoutID).Scan(&id, &state)
	if isNoRows(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("checkout named: %w", err)
	}
	return true, nil
}

// TakeInbox implements store.Tx: the rows another instance's drain holds
// are skipped, not waited for.
func (t *tx) TakeInbox(ctx context.Context, afterID int64, limit int) ([]store.InboxEntry, error) {
	rows, err := t.query(`SELECT `+rowscan.InboxColumns+` FROM inbox WHERE id > $1 ORDER BY id LIMIT $2
		FOR UPDATE SKIP LOCKED`, afterID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return rowscan.Collect(rows, rowscan.ScanInbox)
}

// DeleteInbox implements store.Tx.
func (t *tx) DeleteInbox(ctx context.Context, ids []int64) error {
	_, err := t.exec(`DELETE FROM inbox WHERE id = ANY($1)`, ids)
	return err
}
