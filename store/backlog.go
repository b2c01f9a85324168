package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// CountDue returns how many checkouts are due for a check now and not
// claimed: the poller's backlog. It counts over the checkouts_due index.
func (db *DB) CountDue(ctx context.Context) (int, error) {
	var n int
	if err := db.read.QueryRowContext(ctx, `SELECT count(*) FROM checkouts WHERE next_check_at <= ?`, ms(db.Now())).Scan(&n); err != nil {
		return 0, fmt.Errorf("count due checkouts: %w", err)
	}
	return n, nil
}

// dueTimes returns when each of the checkouts the claim at now is about to
// lease was due, by id (the claim's own RETURNING only sees the lease). It
// reads the same index range as the claim, inside the claim's transaction.
func dueTimes(tx *sql.Tx, now time.Time, limit int) (map[string]time.Time, error) {
	rows, err := tx.Query(`SELECT id, next_check_at FROM checkouts WHERE next_check_at <= ? ORDER BY next_check_at LIMIT ?`, ms(now), limit)
	if err != nil {
		return nil, fmt.Errorf("claim: due times: %w", err)
	}
	defer rows.Close()
	due := make(map[string]time.Time, limit)
	for rows.Next() {
		var id string
		var at int64
		if err := rows.Scan(&id, &at); err != nil {
			return nil, fmt.Errorf("claim: due times: %w", err)
		}
		due[id] = fromMS(at)
	}
	return due, rows.Err()
}
