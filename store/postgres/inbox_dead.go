package postgres

import (
	"context"
	"time"

	"github.com/paysync/paysync/store"
	"github.com/paysync/paysync/store/internal/rowscan"
)

// BuryInbox implements store.Tx: the entry is moved to inbox_dead in this
// transaction, in one statement (the row is locked by the delete).
func (t *tx) BuryInbox(ctx context.Context, id int64, reason string, now time.Time) (bool, error) {
	tag, err := t.exec(`WITH gone AS (DELETE FROM inbox WHERE id = $1 RETURNING `+rowscan.InboxColumns+`)
		INSERT INTO inbox_dead (`+rowscan.DeadColumns+`) SELECT `+rowscan.InboxColumns+`, $2, $3 FROM gone`, id, ms(now), reason)
	if err != nil {
		return false, err
	}
	return tag.RowsAffected() > 0, nil
}

// DeadInbox implements store.Reader.
func (b *Backend) DeadInbox(ctx context.Context, scope store.Scope, limit int) ([]store.DeadEntry, int, error) {
	c := scoped(scope)
	cond := c.sql()
	if cond == "" {
		cond = "TRUE"
	}
	var n int
	if err := b.pool.QueryRow(ctx, `SELECT count(*) FROM inbox_dead WHERE `+cond, c.args...).Scan(&n); err != nil {
		return nil, 0, err
	}
	rows, err := b.pool.Query(ctx, `SELECT `+rowscan.DeadColumns+` FROM inbox_dead WHERE `+cond+
		` ORDER BY id DESC LIMIT `+c.arg(limit), c.args...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out, err := rowscan.Collect(rows, rowscan.ScanDead)
	return out, n, err
}
