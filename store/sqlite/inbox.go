package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/paysync/paysync/store"
	"github.com/paysync/paysync/store/internal/rowscan"
)

// The callback inbox (store/inbox.go) is a table of the database
// (0012_inbox.sql), as on PostgreSQL: an append commits in the writer's
// acknowledgement lane, ahead of the other writes queued (writer.go), and
// a drain's take, record and delete are one transaction.

// AppendInbox implements store.Backend: the insert commits in the writer's
// acknowledgement lane, with the other appends and the writes of the same
// batch, without a savepoint.
// Once a write found the file damaged, it refuses: a callback is not
// acknowledged into a file that may not give it back.
func (b *Backend) AppendInbox(ctx context.Context, e store.InboxEntry) error {
	if err := b.damaged.err(); err != nil {
		return err
	}
	return b.damaged.note(b.w.submit(ctx, writeReq{done: make(chan error, 1), single: true, ack: true, fn: func(t *sql.Tx) error {
		return insertInbox(t, e)
	}}))
}

// insertInbox inserts one inbox entry.
func insertInbox(t *sql.Tx, e store.InboxEntry) error {
	_, err := t.Exec(`INSERT INTO inbox (key, merchant_id, provider, transaction_id, provider_checkout_id, status,
		content_type, query, body, received_at) VALUES (?,?,?,?,?,?,?,?,?,?)`,
		e.InboxKey, e.MerchantID, e.Provider, e.TransactionID, e.ProviderCheckoutID, e.Status, e.ContentType, e.Query, e.Body, ms(e.ReceivedAt))
	return err
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
		return false, fmt.Errorf("checkout named: %w", b.damaged.note(err))
	}
	return true, nil
}

// TakeInbox implements store.Tx: it reads the entries in this transaction
// (write transactions run one at a time, so no other drain holds them).
func (t *tx) TakeInbox(ctx context.Context, afterID int64, limit int) ([]store.InboxEntry, error) {
	rows, err := t.Query(`SELECT `+rowscan.InboxColumns+` FROM inbox WHERE id > ? ORDER BY id LIMIT ?`, afterID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return rowscan.Collect(rows, rowscan.ScanInbox)
}

// DeleteInbox implements store.Tx: the entries are deleted in this
// transaction, so they go exactly when what recorded them commits.
func (t *tx) DeleteInbox(ctx context.Context, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	_, err := t.Exec(`DELETE FROM inbox WHERE id IN (?`+strings.Repeat(",?", len(ids)-1)+`)`, args...)
	return err
}
