package store

import (
	"context"
	"fmt"
	"time"
)

// DeadEntry is an inbox entry the database refused to record, moved aside
// by BuryInbox: the acknowledged callback as received, when it was moved
// and why.
type DeadEntry struct {
	InboxEntry
	DeadAt time.Time
	Reason string
}

// maxDeadReason bounds the reason kept with a dead entry.
const maxDeadReason = 500

// BuryInbox moves the inbox entry id aside, into the dead entries, with
// why it could not be recorded, in one transaction with its delete from
// the inbox: the drain calls it for an entry that fails alone, so that no
// entry can stop the drain of those after it, and nothing acknowledged is
// dropped (DeadEntries lists them). An id no longer in the inbox (drained
// or moved meanwhile) is not an error: buried reports false.
func (db *DB) BuryInbox(ctx context.Context, id int64, reason string) (buried bool, err error) {
	if len(reason) > maxDeadReason {
		reason = reason[:maxDeadReason]
	}
	err = db.write(ctx, func(tx Tx) error {
		var err error
		buried, err = tx.BuryInbox(ctx, id, reason, db.Now())
		return err
	})
	db.health.note(pathDrain, db.Now(), err)
	if err != nil {
		return false, fmt.Errorf("bury inbox entry %d: %w", id, err)
	}
	return buried, nil
}

// DeadEntries returns up to limit of the scope's dead inbox entries, the
// most recent first, and how many the scope has in all.
func (db *DB) DeadEntries(ctx context.Context, scope Scope, limit int) ([]DeadEntry, int, error) {
	out, n, err := db.b.DeadInbox(ctx, scope, limit)
	if err != nil {
		return nil, 0, fmt.Errorf("list dead inbox entries: %w", err)
	}
	return out, n, nil
}
