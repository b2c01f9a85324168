package sqlite

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/paysync/paysync/store"
	"github.com/paysync/paysync/store/internal/rowscan"
)

// scopeWhere is the merchant condition of a console read: none for the
// operator, merchant_id = ? otherwise (an empty id matches no row).
func scopeWhere(s store.Scope, column string) ([]string, []any) {
	if s.All {
		return nil, nil
	}
	return []string{column + ` = ?`}, []any{s.MerchantID}
}

// searchWhere is the WHERE clause of SearchCheckouts, never empty.
func searchWhere(q store.SearchQuery) (string, []any) {
	where, args := scopeWhere(q.Scope, "merchant_id")
	add := func(cond string, vals ...any) { where, args = append(where, cond), append(args, vals...) }
	if q.ID != "" {
		add(`id = ?`, q.ID)
	}
	if q.Q != "" {
		// Each branch searches its own index (one OR would scan).
		add(`id IN (SELECT id FROM checkouts WHERE id = ? UNION ALL SELECT id FROM checkouts WHERE reference = ?
			UNION ALL SELECT id FROM checkouts WHERE provider_ref = ?)`, q.Q, q.Q, q.Q)
	}
	if q.State != "" {
		add(`state = ?`, string(q.State))
	}
	if q.Provider != "" {
		add(`provider = ?`, q.Provider)
	}
	if q.MerchantID != "" {
		add(`merchant_id = ?`, q.MerchantID)
	}
	switch q.Anomaly {
	case "":
	case store.AnomalyAny:
		add(`anomaly_code <> ''`)
	default:
		add(`anomaly_code = ?`, q.Anomaly)
	}
	if q.After != nil {
		add(`(created_at, id) < (?, ?)`, ms(q.After.CreatedAt), q.After.ID)
	}
	if len(where) == 0 {
		return "1", args
	}
	return strings.Join(where, " AND "), args
}

// SearchCheckouts implements store.Reader.
func (b *Backend) SearchCheckouts(ctx context.Context, q store.SearchQuery) ([]store.Checkout, error) {
	where, args := searchWhere(q)
	sqlText := `SELECT ` + rowscan.CheckoutColumns + ` FROM checkouts WHERE ` + where + ` ORDER BY created_at DESC, id DESC LIMIT ?`
	rows, err := b.read.QueryContext(ctx, sqlText, append(args, q.Limit)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return rowscan.Collect(rows, rowscan.Checkout)
}

// CountCheckoutsByState implements store.Reader.
func (b *Backend) CountCheckoutsByState(ctx context.Context, scope store.Scope) (map[store.State]int, error) {
	where, args := scopeWhere(scope, "merchant_id")
	q := `SELECT state, count(*) FROM checkouts`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	rows, err := b.read.QueryContext(ctx, q+` GROUP BY state`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[store.State]int{}
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return nil, err
		}
		out[store.State(s)] = n
	}
	return out, rows.Err()
}

// SettledBy implements store.Reader.
func (b *Backend) SettledBy(ctx context.Context, scope store.Scope, since time.Time) ([]store.SettledCount, error) {
	where, args := scopeWhere(scope, "merchant_id")
	where = append(where, `resolved_by <> ''`, `updated_at >= ?`)
	rows, err := b.read.QueryContext(ctx, `SELECT provider, resolved_by, count(*) FROM checkouts WHERE `+
		strings.Join(where, " AND ")+` GROUP BY provider, resolved_by ORDER BY provider, resolved_by`, append(args, ms(since))...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return rowscan.Collect(rows, rowscan.ScanSettled)
}

// deliveriesWhere is the condition of the console's delivery reads.
func deliveriesWhere(scope store.Scope, statuses []string) (string, []any) {
	where, args := scopeWhere(scope, "merchant_id")
	marks := make([]string, len(statuses))
	for i, s := range statuses {
		marks[i] = "?"
		args = append(args, s)
	}
	where = append(where, `status IN (`+strings.Join(marks, ",")+`)`)
	return strings.Join(where, " AND "), args
}

// DeliveriesByStatus implements store.Reader.
func (b *Backend) DeliveriesByStatus(ctx context.Context, scope store.Scope, statuses []string, limit int) ([]store.Delivery, error) {
	if len(statuses) == 0 {
		return nil, nil
	}
	where, args := deliveriesWhere(scope, statuses)
	rows, err := b.read.QueryContext(ctx, `SELECT `+rowscan.DeliveryColumns+` FROM deliveries WHERE `+where+
		` ORDER BY updated_at DESC, rowid DESC LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, err
	}
	return scanDeliveries(rows)
}

func scanDeliveries(rows *sql.Rows) ([]store.Delivery, error) {
	defer rows.Close()
	return rowscan.Collect(rows, rowscan.ScanDelivery)
}

// FailedDeliveriesSince implements store.Tx.
func (t *tx) FailedDeliveriesSince(ctx context.Context, scope store.Scope, since time.Time) ([]store.Delivery, error) {
	where, args := deliveriesWhere(scope, []string{store.DeliveryFailed})
	rows, err := t.QueryContext(ctx, `SELECT `+rowscan.DeliveryColumns+` FROM deliveries WHERE `+where+
		` AND updated_at >= ? ORDER BY updated_at, rowid`, append(args, ms(since))...)
	if err != nil {
		return nil, err
	}
	return scanDeliveries(rows)
}

// CheckoutNotifications implements store.Reader.
func (b *Backend) CheckoutNotifications(ctx context.Context, checkoutID string) ([]store.StoredNotification, error) {
	rows, err := b.read.QueryContext(ctx, `SELECT `+rowscan.NotificationColumns+` FROM notifications WHERE checkout_id = ? ORDER BY id`, checkoutID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return rowscan.Collect(rows, rowscan.ScanNotification)
}
