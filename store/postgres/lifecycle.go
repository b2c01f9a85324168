package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/paysync/paysync/store"
)

// FoldEvent implements store.Tx, as on SQLite; the caller holds the
// checkout's row lock (Apply), so no other transaction appends between
// the read of the latest event and the update.
func (t *tx) FoldEvent(ctx context.Context, e store.Event) (bool, error) {
	tag, err := t.exec(`UPDATE events SET count = count + 1, last_at = $1
		WHERE id = (SELECT max(id) FROM events WHERE checkout_id = $2)
		AND source = $3 AND type = $4 AND provider_status = $5 AND from_state = $6 AND to_state = $7 AND detail = $8`,
		ms(e.At), e.CheckoutID, e.Source, e.Type, e.ProviderStatus, string(e.FromState), string(e.ToState), e.Detail)
	if err != nil {
		return false, fmt.Errorf("fold event: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

// PurgeHistory implements store.Tx. The batch's checkouts are locked with
// FOR UPDATE SKIP LOCKED: instances sweeping at once take different
// checkouts, and neither waits on a checkout an Apply holds (nor the
// Apply on the sweep for longer than one short batch).
func (t *tx) PurgeHistory(ctx context.Context, settledBefore time.Time, limit int, now time.Time) (store.Purged, error) {
	var p store.Purged
	rows, err := t.query(`SELECT id FROM checkouts WHERE settled_at < $1 AND history_purged_at IS NULL
		ORDER BY settled_at LIMIT $2 FOR UPDATE SKIP LOCKED`, ms(settledBefore), limit)
	if err != nil {
		return p, fmt.Errorf("purge history: %w", err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return p, fmt.Errorf("purge history: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(ids) == 0 {
		return p, err
	}
	steps := []struct {
		n   *int64
		sql string
	}{
		{&p.Events, `DELETE FROM events WHERE checkout_id = ANY($1)`},
		{&p.Notifications, `DELETE FROM notifications WHERE checkout_id = ANY($1)`},
		{&p.Attempts, `DELETE FROM delivery_attempts WHERE delivery_id IN (SELECT id FROM deliveries
			WHERE checkout_id = ANY($1) AND status <> 'pending')`},
	}
	for _, s := range steps {
		tag, err := t.exec(s.sql, ids)
		if err != nil {
			return p, fmt.Errorf("purge history: %w", err)
		}
		*s.n = tag.RowsAffected()
	}
	tag, err := t.exec(`UPDATE checkouts SET history_purged_at = $1, rev = rev + 1 WHERE id = ANY($2)`, ms(now), ids)
	if err != nil {
		return p, fmt.Errorf("purge history: %w", err)
	}
	p.Checkouts, p.IDs = tag.RowsAffected(), ids
	return p, nil
}

// DeleteUnmatchedNotifications implements store.Tx. The rows are picked
// with FOR UPDATE SKIP LOCKED, and the outer condition is checked again
// on the locked row, so a callback attached by a registration meanwhile
// stays.
func (t *tx) DeleteUnmatchedNotifications(ctx context.Context, receivedBefore time.Time, limit int) (int64, error) {
	tag, err := t.exec(`DELETE FROM notifications WHERE checkout_id IS NULL AND id IN (
		SELECT id FROM notifications WHERE checkout_id IS NULL AND received_at < $1
		ORDER BY received_at LIMIT $2 FOR UPDATE SKIP LOCKED)`, ms(receivedBefore), limit)
	if err != nil {
		return 0, fmt.Errorf("delete unmatched callbacks: %w", err)
	}
	return tag.RowsAffected(), nil
}

// lifecycleTables are the tables whose size Size adds up.
var lifecycleTables = []string{"merchants", "checkouts", "events", "notifications", "deliveries", "delivery_attempts", "budgets"}

// Size implements store.Backend: the total size (heap, TOAST and indexes)
// of paysync's tables in the backend's schema.
func (b *Backend) Size(ctx context.Context) (int64, error) {
	var n int64
	err := b.pool.QueryRow(ctx, `SELECT COALESCE(sum(pg_total_relation_size(c.oid)), 0)::bigint
		FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
		WHERE s.nspname = current_schema() AND c.relkind = 'r' AND c.relname = ANY($1)`, lifecycleTables).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("database size: %w", err)
	}
	return n, nil
}

// Compact implements store.Backend: PostgreSQL's autovacuum makes the
// space of deleted rows reusable by itself.
func (b *Backend) Compact(ctx context.Context) error { return nil }
