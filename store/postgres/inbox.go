package postgres

import (
	"context"
	"fmt"
	"time"

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

// AppendInboxIfNamed appends e to the inbox, in one statement committed
// on its own, only when it names a registered checkout (the callback
// match's condition, as CheckoutNamed): the acknowledgement of a callback
// is one round trip. It reports whether it appended.
func (b *Backend) AppendInboxIfNamed(ctx context.Context, e store.InboxEntry) (bool, error) {
	tag, err := b.pool.Exec(ctx, `INSERT INTO inbox (key, merchant_id, provider, transaction_id, provider_checkout_id, status,
		content_type, query, body, received_at) SELECT $1,$2,$3,$4,$5,$6,$7,$8,$9,$10
		WHERE EXISTS (SELECT 1 FROM checkouts WHERE merchant_id = $2 AND provider = $3 AND reference = $4)
		OR EXISTS (SELECT 1 FROM checkouts WHERE merchant_id = $2 AND provider = $3 AND provider_ref = $5)`,
		e.InboxKey, e.MerchantID, e.Provider, e.TransactionID, e.ProviderCheckoutID, e.Status, e.ContentType, e.Query, e.Body, ms(e.ReceivedAt))
	if err != nil {
		return false, err
	}
	return tag.RowsAffected() == 1, nil
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
	t.later(`DELETE FROM inbox WHERE id = ANY($1)`, ids) // sent before the commit
	return nil
}

// MatchInbox implements the store's batched drain (inboxBatchTx): every
// entry's checkout, by the callback match's two index searches, and
// whether its inbox key is recorded already, in one statement.
func (t *tx) MatchInbox(ctx context.Context, entries []store.InboxEntry) ([]store.InboxMatch, error) {
	n := len(entries)
	merchants, providers, txns, refs, keys := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	for i, e := range entries {
		merchants[i], providers[i], txns[i], refs[i], keys[i] = e.MerchantID, e.Provider, e.TransactionID, e.ProviderCheckoutID, e.InboxKey
	}
	rows, err := t.query(`SELECT e.ord, m.id, m.state, e.key <> '' AND EXISTS (SELECT 1 FROM notifications WHERE inbox_key = e.key)
		FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) WITH ORDINALITY AS e(merchant_id, provider, txn, ref, key, ord)
		LEFT JOIN LATERAL (SELECT id, state FROM (
			SELECT id, state, created_at FROM checkouts WHERE merchant_id = e.merchant_id AND provider = e.provider AND reference = e.txn
			UNION ALL
			SELECT id, state, created_at FROM checkouts WHERE merchant_id = e.merchant_id AND provider = e.provider AND provider_ref = e.ref
		) c ORDER BY created_at LIMIT 1) m ON true`, merchants, providers, txns, refs, keys)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make([]store.InboxMatch, n)
	for rows.Next() {
		var ord int64
		var id, state *string
		var recorded bool
		if err := rows.Scan(&ord, &id, &state, &recorded); err != nil {
			return nil, err
		}
		if ord < 1 || int(ord) > n {
			return nil, fmt.Errorf("match inbox: entry %d of %d", ord, n)
		}
		m := store.InboxMatch{Recorded: recorded}
		if id != nil {
			m.CheckoutID, m.State, m.Found = *id, store.State(*state), true
		}
		out[ord-1] = m
	}
	return out, rows.Err()
}

// InsertNotificationLater implements the store's batched drain
// (inboxBatchTx): InsertNotification's statement, queued.
func (t *tx) InsertNotificationLater(ctx context.Context, n store.Notification, checkoutID string, at time.Time) {
	t.later(insertNotificationSQL, n.MerchantID, n.Provider, nullString(checkoutID), n.TransactionID, n.ProviderCheckoutID, n.Status,
		n.ContentType, n.Query, n.Body, len(n.Body), ms(at), nullString(n.InboxKey), nullString(n.Digest))
}
