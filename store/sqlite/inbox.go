package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/paysync/paysync/store"
	"github.com/paysync/paysync/store/internal/rowscan"
)

// AppendInbox implements store.Backend: the insert joins the writer's
// next commit without a savepoint (see writeReq.single).
func (b *Backend) AppendInbox(ctx context.Context, e store.InboxEntry) error {
	return b.execSingle(ctx, func(t *sql.Tx) error {
		_, err := t.Exec(`INSERT INTO inbox (merchant_id, provider, transaction_id, provider_checkout_id, status,
			content_type, query, body, received_at) VALUES (?,?,?,?,?,?,?,?,?)`,
			e.MerchantID, e.Provider, e.TransactionID, e.ProviderCheckoutID, e.Status, e.ContentType, e.Query, e.Body, ms(e.ReceivedAt))
		return err
	})
}

// CheckoutNamed implements store.Reader, with the callback match's
// statement (each branch one search of a unique index).
func (b *Backend) CheckoutNamed(ctx context.Context, n store.Notification) (bool, error) {
	var id, state string
	err := b.read.QueryRowContext(ctx, matchNotificationSQL, n.MerchantID, n.Provider, n.TransactionID, n.ProviderCheckoutID).Scan(&id, &state)
	if err == sql.ErrNoRows {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("checkout named: %w", err)
	}
	return true, nil
}

// TakeInbox implements store.Tx (the single writer holds every row).
func (t *tx) TakeInbox(ctx context.Context, afterID int64, limit int) ([]store.InboxEntry, error) {
	rows, err := t.Query(`SELECT `+rowscan.InboxColumns+` FROM inbox WHERE id > ? ORDER BY id LIMIT ?`, afterID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return rowscan.Collect(rows, rowscan.ScanInbox)
}

// DeleteInbox implements store.Tx.
func (t *tx) DeleteInbox(ctx context.Context, ids []int64) error {
	for _, id := range ids {
		if _, err := t.Exec(`DELETE FROM inbox WHERE id = ?`, id); err != nil {
			return err
		}
	}
	return nil
}
