package postgres

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/paysync/paysync/store"
	"github.com/paysync/paysync/store/internal/rowscan"
)

// conds builds a WHERE clause with numbered parameters.
type conds struct {
	where []string
	args  []any
}

// add appends cond, each ? becoming the next $n.
func (c *conds) add(cond string, vals ...any) {
	for _, v := range vals {
		c.args = append(c.args, v)
		cond = strings.Replace(cond, "?", "$"+strconv.Itoa(len(c.args)), 1)
	}
	c.where = append(c.where, cond)
}

// arg adds a parameter outside the WHERE clause and returns its $n.
func (c *conds) arg(v any) string {
	c.args = append(c.args, v)
	return "$" + strconv.Itoa(len(c.args))
}

func (c *conds) sql() string {
	if len(c.where) == 0 {
		return "TRUE"
	}
	return strings.Join(c.where, " AND ")
}

// scoped starts the conditions of a console read: none for the operator,
// merchant_id = $1 otherwise (an empty id matches no row).
func scoped(s store.Scope) *conds {
	c := &conds{}
	if !s.All {
		c.add(`merchant_id = ?`, s.MerchantID)
	}
	return c
}

// SearchCheckouts implements store.Reader.
func (b *Backend) SearchCheckouts(ctx context.Context, q store.SearchQuery) ([]store.Checkout, error) {
	c := scoped(q.Scope)
	if q.ID != "" {
		c.add(`id = ?`, q.ID)
	}
	if q.Q != "" {
		c.add(`(id = ? OR reference = ? OR provider_ref = ?)`, q.Q, q.Q, q.Q)
	}
	if q.State != "" {
		c.add(`state = ?`, string(q.State))
	}
	if q.Provider != "" {
		c.add(`provider = ?`, q.Provider)
	}
	if q.MerchantID != "" {
		c.add(`merchant_id = ?`, q.MerchantID)
	}
	switch q.Anomaly {
	case "":
	case store.AnomalyAny:
		c.add(`anomaly_code <> ''`)
	default:
		c.add(`anomaly_code = ?`, q.Anomaly)
	}
	if q.After != nil {
		c.add(`(created_at, id) < (?, ?)`, ms(q.After.CreatedAt), q.After.ID)
	}
	rows, err := b.pool.Query(ctx, `SELECT `+rowscan.CheckoutColumns+` FROM checkouts WHERE `+c.sql()+
		` ORDER BY created_at DESC, id DESC LIMIT `+c.arg(q.Limit), c.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return rowscan.Collect(rows, rowscan.Checkout)
}

// countByStateSQL is the console overview's count by state: an
// index-only walk of checkouts_state (operator) or checkouts_merchant_state
// (a merchant), not of the table (pinned at 200,000 checkouts by
// TestConsoleQueriesStayOffTheTable).
func countByStateSQL(c *conds) string {
	return `SELECT state, count(*) FROM checkouts WHERE ` + c.sql() + ` GROUP BY state`
}

// settledBySQL is the overview's settled-by share: a range of
// checkouts_resolved or checkouts_merchant_resolved (migration 0016),
// the window's settled checkouts only.
func settledBySQL(c *conds) string {
	return `SELECT provider, resolved_by, count(*) FROM checkouts WHERE ` + c.sql() +
		` GROUP BY provider, resolved_by ORDER BY provider, resolved_by`
}

// CountCheckoutsByState implements store.Reader.
func (b *Backend) CountCheckoutsByState(ctx context.Context, scope store.Scope) (map[store.State]int, error) {
	c := scoped(scope)
	rows, err := b.pool.Query(ctx, countByStateSQL(c), append([]any{customPlan}, c.args...)...)
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
	c := scoped(scope)
	c.add(`resolved_by <> ''`)
	c.add(`updated_at >= ?`, ms(since))
	rows, err := b.pool.Query(ctx, settledBySQL(c), append([]any{customPlan}, c.args...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return rowscan.Collect(rows, rowscan.ScanSettled)
}

// DeliveriesByStatus implements store.Reader.
func (b *Backend) DeliveriesByStatus(ctx context.Context, scope store.Scope, statuses []string, limit int) ([]store.Delivery, error) {
	if len(statuses) == 0 {
		return nil, nil
	}
	c := scoped(scope)
	c.add(`status = ANY(?)`, statuses)
	rows, err := b.pool.Query(ctx, `SELECT `+rowscan.DeliveryColumns+` FROM deliveries WHERE `+c.sql()+
		` ORDER BY updated_at DESC, seq DESC LIMIT `+c.arg(limit), c.args...)
	if err != nil {
		return nil, err
	}
	return scanDeliveryRows(rows)
}

func scanDeliveryRows(rows pgx.Rows) ([]store.Delivery, error) {
	defer rows.Close()
	return rowscan.Collect(rows, rowscan.ScanDelivery)
}

// FailedDeliveriesSince implements store.Tx; the rows stay locked until
// the transaction ends.
func (t *tx) FailedDeliveriesSince(ctx context.Context, scope store.Scope, since time.Time) ([]store.Delivery, error) {
	c := scoped(scope)
	c.add(`status = ?`, store.DeliveryFailed)
	c.add(`updated_at >= ?`, ms(since))
	rows, err := t.query(`SELECT `+rowscan.DeliveryColumns+` FROM deliveries WHERE `+c.sql()+` ORDER BY updated_at, seq FOR UPDATE`, c.args...)
	if err != nil {
		return nil, err
	}
	return scanDeliveryRows(rows)
}

// CheckoutNotifications implements store.Reader.
func (b *Backend) CheckoutNotifications(ctx context.Context, checkoutID string) ([]store.StoredNotification, error) {
	rows, err := b.pool.Query(ctx, `SELECT `+rowscan.NotificationColumns+` FROM notifications WHERE checkout_id = $1 ORDER BY id`, checkoutID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return rowscan.Collect(rows, rowscan.ScanNotification)
}
