package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"time"

	"github.com/paysync/paysync/store"
)

// FoldEvent implements store.Tx: one UPDATE of the checkout's latest event
// (events_checkout index), only if it is identical to e but for its time.
func (t *tx) FoldEvent(ctx context.Context, e store.Event) (bool, error) {
	res, err := t.Exec(`UPDATE events SET count = count + 1, last_at = ?
		WHERE id = (SELECT max(id) FROM events WHERE checkout_id = ?)
		AND source = ? AND type = ? AND provider_status = ? AND from_state = ? AND to_state = ? AND detail = ?`,
		ms(e.At), e.CheckoutID, e.Source, e.Type, e.ProviderStatus, string(e.FromState), string(e.ToState), e.Detail)
	if err != nil {
		return false, fmt.Errorf("fold event: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("fold event: %w", err)
	}
	return n == 1, nil
}

// PurgeHistory implements store.Tx. SQLite runs one write transaction at
// a time, so the batch picked is the batch purged; the ids travel as one
// JSON array (json_each).
func (t *tx) PurgeHistory(ctx context.Context, settledBefore time.Time, limit int, now time.Time) (store.Purged, error) {
	var p store.Purged
	ids, err := t.settledIDs(settledBefore, limit)
	if err != nil || len(ids) == 0 {
		return p, err
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return p, err
	}
	steps := []struct {
		n   *int64
		sql string
	}{
		{&p.Events, `DELETE FROM events WHERE checkout_id IN (SELECT value FROM json_each(?))`},
		{&p.Notifications, `DELETE FROM notifications WHERE checkout_id IN (SELECT value FROM json_each(?))`},
		{&p.Attempts, `DELETE FROM delivery_attempts WHERE delivery_id IN (SELECT id FROM deliveries
			WHERE checkout_id IN (SELECT value FROM json_each(?)) AND status <> 'pending')`},
	}
	for _, s := range steps {
		if *s.n, err = t.execCount(s.sql, string(list)); err != nil {
			return p, fmt.Errorf("purge history: %w", err)
		}
	}
	if p.Checkouts, err = t.execCount(`UPDATE checkouts SET history_purged_at = ?, rev = rev + 1 WHERE id IN (SELECT value FROM json_each(?))`,
		ms(now), string(list)); err != nil {
		return p, fmt.Errorf("purge history: %w", err)
	}
	p.IDs = ids
	return p, nil
}

// settledIDs returns up to limit checkouts settled before the cutoff whose
// history is kept, oldest settled first (checkouts_settled index).
func (t *tx) settledIDs(before time.Time, limit int) ([]string, error) {
	rows, err := t.Query(`SELECT id FROM checkouts WHERE settled_at < ? AND history_purged_at IS NULL
		ORDER BY settled_at LIMIT ?`, ms(before), limit)
	if err != nil {
		return nil, fmt.Errorf("purge history: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("purge history: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// DeleteUnmatchedNotifications implements store.Tx (notifications_unmatched_age index).
func (t *tx) DeleteUnmatchedNotifications(ctx context.Context, receivedBefore time.Time, limit int) (int64, error) {
	n, err := t.execCount(`DELETE FROM notifications WHERE id IN (SELECT id FROM notifications
		WHERE checkout_id IS NULL AND received_at < ? ORDER BY received_at LIMIT ?)`, ms(receivedBefore), limit)
	if err != nil {
		return 0, fmt.Errorf("delete unmatched callbacks: %w", err)
	}
	return n, nil
}

func (t *tx) execCount(q string, args ...any) (int64, error) {
	res, err := t.Exec(q, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// Size implements store.Backend: the main file's pages (page_count ×
// page_size); the WAL is checkpointed back into them.
func (b *Backend) Size(ctx context.Context) (int64, error) {
	var n int64
	if err := b.read.QueryRowContext(ctx, `SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()`).Scan(&n); err != nil {
		return 0, fmt.Errorf("database size: %w", err)
	}
	return n, nil
}

// compactStep is how many free pages one incremental vacuum transaction
// returns (4 MiB of 4 KiB pages): short enough not to stall callbacks.
const compactStep = 1024

// Compact implements store.Backend: PRAGMA incremental_vacuum through the
// writer, compactStep pages per transaction, until no page is free.
func (b *Backend) Compact(ctx context.Context) error {
	for {
		var free int64
		if err := b.read.QueryRowContext(ctx, `PRAGMA freelist_count`).Scan(&free); err != nil {
			return fmt.Errorf("compact: %w", err)
		}
		if free == 0 {
			return nil
		}
		err := b.exec(ctx, func(t *sql.Tx) error {
			rows, err := t.Query(fmt.Sprintf(`PRAGMA incremental_vacuum(%d)`, compactStep))
			if err != nil {
				return err
			}
			for rows.Next() {
			}
			rows.Close()
			return rows.Err()
		})
		if err != nil {
			return fmt.Errorf("compact: %w", err)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if free <= compactStep {
			return nil
		}
	}
}

// autoVacuum switches the file to auto_vacuum=incremental, once: the
// setting lives in the file's header, so a file that has it is left
// alone. An existing file needs a VACUUM for it to take effect, which
// can't run inside a migration's transaction; it runs here, at open,
// before anything else uses the file (a new file is empty: instant).
func autoVacuum(ctx context.Context, db *sql.DB) error {
	var mode int
	if err := db.QueryRowContext(ctx, `PRAGMA auto_vacuum`).Scan(&mode); err != nil {
		return fmt.Errorf("read auto_vacuum: %w", err)
	}
	if mode == 2 { // incremental
		return nil
	}
	if _, err := db.ExecContext(ctx, `PRAGMA auto_vacuum = INCREMENTAL`); err != nil {
		return fmt.Errorf("set auto_vacuum: %w", err)
	}
	if _, err := db.ExecContext(ctx, `VACUUM`); err != nil {
		return fmt.Errorf("vacuum for auto_vacuum: %w", err)
	}
	return nil
}
