package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"time"

	"github.com/paysync/paysync/store"
	"github.com/paysync/paysync/store/internal/rowscan"
)

// matchNotificationSQL finds the checkout a callback names, by reference
// or provider_ref, the oldest if both match. Each branch is one search of
// its unique index: written as one OR, SQLite (without ANALYZE statistics)
// walked every checkout of the merchant in created_at order instead,
// inside the single writer, on every callback.
const matchNotificationSQL = `SELECT id, state FROM (
	SELECT id, state, created_at FROM checkouts WHERE merchant_id = ?1 AND provider = ?2 AND reference = ?3
	UNION ALL
	SELECT id, state, created_at FROM checkouts WHERE merchant_id = ?1 AND provider = ?2 AND provider_ref = ?4
) ORDER BY created_at LIMIT 1`

// MatchNotification implements store.Tx.
func (t *tx) MatchNotification(ctx context.Context, n store.Notification) (string, store.State, bool, error) {
	var id, state string
	err := t.QueryRow(matchNotificationSQL, n.MerchantID, n.Provider, n.TransactionID, n.ProviderCheckoutID).Scan(&id, &state)
	if err == sql.ErrNoRows {
		return "", "", false, nil
	}
	if err != nil {
		return "", "", false, err
	}
	return id, store.State(state), true, nil
}

// InsertNotification implements store.Tx.
func (t *tx) InsertNotification(ctx context.Context, n store.Notification, checkoutID string, at time.Time) (int64, error) {
	res, err := t.Exec(`INSERT INTO notifications (merchant_id, provider, checkout_id, transaction_id, provider_checkout_id,
		status, content_type, query, body, body_size, received_at, inbox_key) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)
		ON CONFLICT (inbox_key) WHERE inbox_key IS NOT NULL DO NOTHING`,
		n.MerchantID, n.Provider, nullString(checkoutID), n.TransactionID, n.ProviderCheckoutID, n.Status, n.ContentType, n.Query, n.Body,
		len(n.Body), ms(at), nullString(n.InboxKey))
	if err != nil {
		return 0, err
	}
	if added, err := res.RowsAffected(); err != nil || added == 0 {
		return 0, cmp.Or(err, store.ErrDuplicate) // this inbox entry is recorded already
	}
	return res.LastInsertId()
}

// earlyNotificationsSQL finds the unmatched callbacks naming a checkout
// being registered, each branch through its partial index (as one OR,
// SQLite scanned every unmatched notification on each registration).
const earlyNotificationsSQL = `SELECT ` + rowscan.EarlyColumns + ` FROM notifications
	WHERE checkout_id IS NULL AND merchant_id = ?1 AND provider = ?2 AND transaction_id = ?3 AND transaction_id <> ''
	UNION
	SELECT ` + rowscan.EarlyColumns + ` FROM notifications
	WHERE checkout_id IS NULL AND merchant_id = ?1 AND provider = ?2 AND provider_checkout_id = ?4 AND provider_checkout_id <> ''
	ORDER BY id`

// UnmatchedNotifications implements store.Tx.
func (t *tx) UnmatchedNotifications(ctx context.Context, merchantID, provider, reference, providerRef string) ([]store.EarlyNotification, error) {
	rows, err := t.Query(earlyNotificationsSQL, merchantID, provider, reference, providerRef)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return rowscan.Collect(rows, rowscan.ScanEarly)
}

// AttachNotification implements store.Tx.
func (t *tx) AttachNotification(ctx context.Context, notificationID int64, checkoutID string) error {
	_, err := t.Exec(`UPDATE notifications SET checkout_id = ? WHERE id = ?`, checkoutID, notificationID)
	return err
}
