package postgres

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/paysync/paysync/store"
	"github.com/paysync/paysync/store/internal/rowscan"
)

// matchNotificationSQL finds the checkout a callback names, by reference
// or provider_ref (each branch one search of its unique index), the
// oldest if both match.
const matchNotificationSQL = `SELECT id, state FROM (
	SELECT id, state, created_at FROM checkouts WHERE merchant_id = $1 AND provider = $2 AND reference = $3
	UNION ALL
	SELECT id, state, created_at FROM checkouts WHERE merchant_id = $1 AND provider = $2 AND provider_ref = $4
) m ORDER BY created_at LIMIT 1`

// MatchNotification implements store.Tx.
func (t *tx) MatchNotification(ctx context.Context, n store.Notification) (string, store.State, bool, error) {
	var id, state string
	err := t.QueryRow(t.ctx, matchNotificationSQL, n.MerchantID, n.Provider, n.TransactionID, n.ProviderCheckoutID).Scan(&id, &state)
	if isNoRows(err) {
		return "", "", false, nil
	}
	if err != nil {
		return "", "", false, err
	}
	return id, store.State(state), true, nil
}

// insertNotificationSQL stores a callback; one whose inbox key is stored
// already is skipped.
const insertNotificationSQL = `INSERT INTO notifications (merchant_id, provider, checkout_id, transaction_id, provider_checkout_id,
		status, content_type, query, body, body_size, received_at, inbox_key, digest) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)
		ON CONFLICT (inbox_key) WHERE inbox_key IS NOT NULL DO NOTHING`

// InsertNotification implements store.Tx.
func (t *tx) InsertNotification(ctx context.Context, n store.Notification, checkoutID string, at time.Time) (int64, error) {
	var id int64
	err := t.QueryRow(t.ctx, insertNotificationSQL+` RETURNING id`,
		n.MerchantID, n.Provider, nullString(checkoutID), n.TransactionID, n.ProviderCheckoutID, n.Status, n.ContentType, n.Query, n.Body,
		len(n.Body), ms(at), nullString(n.InboxKey), nullString(n.Digest)).Scan(&id)
	if isNoRows(err) {
		return 0, store.ErrDuplicate // this inbox entry is recorded already
	}
	return id, err
}

// UnmatchedNotifications implements store.Tx: one index search for each
// identifier given (an empty one names nothing, and is not searched: a
// search for ” would walk every unmatched callback that lacks it).
func (t *tx) UnmatchedNotifications(ctx context.Context, merchantID, provider, reference, providerRef string) ([]store.EarlyNotification, error) {
	var branches []string
	args := []any{customPlan, merchantID, provider}
	if reference != "" {
		args = append(args, reference)
		branches = append(branches, `SELECT `+rowscan.EarlyColumns+` FROM notifications
		WHERE checkout_id IS NULL AND merchant_id = $1 AND provider = $2 AND transaction_id = $`+strconv.Itoa(len(args)-1))
	}
	if providerRef != "" {
		args = append(args, providerRef)
		branches = append(branches, `SELECT `+rowscan.EarlyColumns+` FROM notifications
		WHERE checkout_id IS NULL AND merchant_id = $1 AND provider = $2 AND provider_checkout_id = $`+strconv.Itoa(len(args)-1))
	}
	if len(branches) == 0 {
		return nil, nil
	}
	rows, err := t.query(strings.Join(branches, " UNION ")+` ORDER BY id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return rowscan.Collect(rows, rowscan.ScanEarly)
}

// AttachNotification implements store.Tx.
func (t *tx) AttachNotification(ctx context.Context, notificationID int64, checkoutID string) error {
	_, err := t.exec(`UPDATE notifications SET checkout_id = $1 WHERE id = $2`, checkoutID, notificationID)
	return err
}

// CheckoutCallbacks implements store.Tx, on notifications_checkout (the
// rows of one checkout, bounded by CallbackLimits) and
// notifications_checkout_digest.
func (t *tx) CheckoutCallbacks(ctx context.Context, checkoutID, digest, inboxKey string) (int, int64, int64, bool, error) {
	var n int
	var bytes, same int64
	var keyed bool
	err := t.QueryRow(t.ctx, `SELECT count(*), coalesce(sum(body_size), 0)::bigint,
		coalesce((SELECT id FROM notifications WHERE checkout_id = $1 AND digest = $2 LIMIT 1), 0),
		$3 <> '' AND EXISTS (SELECT 1 FROM notifications WHERE inbox_key = $3)
		FROM notifications WHERE checkout_id = $1`, checkoutID, digest, inboxKey).Scan(&n, &bytes, &same, &keyed)
	return n, bytes, same, keyed, err
}

// RepeatNotification implements store.Tx.
func (t *tx) RepeatNotification(ctx context.Context, id int64, at time.Time) error {
	_, err := t.exec(`UPDATE notifications SET repeats = repeats + 1, last_received_at = $1 WHERE id = $2`, ms(at), id)
	return err
}
