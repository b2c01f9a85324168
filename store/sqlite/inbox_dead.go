package sqlite

import (
	"context"
	"strings"
	"time"

	"github.com/paysync/paysync/store"
	"github.com/paysync/paysync/store/internal/rowscan"
)

// BuryInbox implements store.Tx: the entry is copied to inbox_dead and
// deleted from the inbox in this transaction.
func (t *tx) BuryInbox(ctx context.Context, id int64, reason string, now time.Time) (bool, error) {
	res, err := t.ExecContext(ctx, `INSERT INTO inbox_dead (`+rowscan.DeadColumns+`)
		SELECT `+rowscan.InboxColumns+`, ?, ? FROM inbox WHERE id = ?`, ms(now), reason, id)
	if err != nil {
		return false, err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return false, err
	}
	_, err = t.ExecContext(ctx, `DELETE FROM inbox WHERE id = ?`, id)
	return err == nil, err
}

// DeadInbox implements store.Reader.
func (b *Backend) DeadInbox(ctx context.Context, scope store.Scope, limit int) ([]store.DeadEntry, int, error) {
	where, args := scopeWhere(scope, "merchant_id")
	cond := "1 = 1"
	if len(where) > 0 {
		cond = strings.Join(where, " AND ")
	}
	var n int
	if err := b.read.QueryRowContext(ctx, `SELECT count(*) FROM inbox_dead WHERE `+cond, args...).Scan(&n); err != nil {
		return nil, 0, err
	}
	rows, err := b.read.QueryContext(ctx, `SELECT `+rowscan.DeadColumns+` FROM inbox_dead WHERE `+cond+
		` ORDER BY id DESC LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out, err := rowscan.Collect(rows, rowscan.ScanDead)
	return out, n, err
}
