package store

import (
	"cmp"
	"context"
	"fmt"
	"runtime"
	"time"
)

// Retention is what the sweep keeps (README, "Data lifecycle").
type Retention struct {
	// Settled is how long a terminal checkout keeps its history (events,
	// raw callbacks, delivery attempts); 0 keeps it forever.
	Settled time.Duration
	// Unmatched is how long a callback that matched no checkout is kept;
	// 0 keeps it forever.
	Unmatched time.Duration
	// Batch bounds the checkouts (or unmatched callbacks) of one
	// transaction (100), so that no sweep transaction is long.
	Batch int
}

// Swept counts what one Sweep deleted.
type Swept struct {
	Purged           // rows of settled checkouts' history, by table
	Unmatched  int64 // unmatched callbacks
	Compacted  bool  // the backend was asked to give the space back
	Batches    int   // write transactions used
	SizeBefore int64 // the database's size before the sweep, in bytes
	SizeAfter  int64 // and after it
}

// Deleted reports whether the sweep deleted any row.
func (s Swept) Deleted() bool {
	return s.Events+s.Notifications+s.Attempts+s.Unmatched+s.Checkouts > 0
}

// Sweep applies r once: the history of checkouts settled longer than
// r.Settled ago is purged, and callbacks unmatched for longer than
// r.Unmatched are deleted, each in transactions of at most r.Batch
// checkouts or callbacks; then, if anything was deleted, the backend
// gives the space back (Backend.Compact). Between two transactions the
// sweep yields, so that the writes of callbacks and checks waiting for the
// writer go first. It is safe to run on several instances at once: each
// batch skips the rows another holds. It stops early, with ctx's error,
// when ctx ends; what was committed stays committed.
func (db *DB) Sweep(ctx context.Context, r Retention) (Swept, error) {
	var out Swept
	var err error
	batch := cmp.Or(r.Batch, 100)
	if out.SizeBefore, err = db.b.Size(ctx); err != nil {
		return out, fmt.Errorf("sweep: %w", err)
	}
	if r.Settled > 0 {
		if err := db.purgeSettled(ctx, r.Settled, batch, &out); err != nil {
			return out, err
		}
	}
	if r.Unmatched > 0 {
		if err := db.deleteUnmatched(ctx, r.Unmatched, batch, &out); err != nil {
			return out, err
		}
	}
	if out.Deleted() {
		if err := db.b.Compact(ctx); err != nil {
			return out, fmt.Errorf("sweep: %w", err)
		}
		out.Compacted = true
	}
	if out.SizeAfter, err = db.b.Size(ctx); err != nil {
		return out, fmt.Errorf("sweep: %w", err)
	}
	return out, nil
}

// purgeSettled purges, batch by batch, the history of the checkouts
// settled before now-keep.
func (db *DB) purgeSettled(ctx context.Context, keep time.Duration, batch int, out *Swept) error {
	for {
		var p Purged
		err := db.write(ctx, func(tx Tx) error {
			now := db.Now()
			var err error
			p, err = tx.PurgeHistory(ctx, now.Add(-keep), batch, now)
			return err
		})
		if err != nil {
			return fmt.Errorf("sweep: purge history: %w", err)
		}
		out.Batches++
		out.Checkouts += p.Checkouts
		out.Events += p.Events
		out.Notifications += p.Notifications
		out.Attempts += p.Attempts
		db.touched(p.IDs...) // history_purged_at
		if p.Checkouts < int64(batch) {
			return nil
		}
		if err := yield(ctx); err != nil {
			return err
		}
	}
}

// deleteUnmatched deletes, batch by batch, the callbacks that matched no
// checkout and were received before now-keep.
func (db *DB) deleteUnmatched(ctx context.Context, keep time.Duration, batch int, out *Swept) error {
	for {
		var n int64
		err := db.write(ctx, func(tx Tx) error {
			var err error
			n, err = tx.DeleteUnmatchedNotifications(ctx, db.Now().Add(-keep), batch)
			return err
		})
		if err != nil {
			return fmt.Errorf("sweep: delete unmatched callbacks: %w", err)
		}
		out.Batches++
		out.Unmatched += n
		if n < int64(batch) {
			return nil
		}
		if err := yield(ctx); err != nil {
			return err
		}
	}
}

// yield lets other goroutines (and the writes they queue) run between two
// sweep transactions, and reports ctx's end.
func yield(ctx context.Context) error {
	runtime.Gosched()
	return ctx.Err()
}

// Size returns the database's size in bytes (see Backend.Size).
func (db *DB) Size(ctx context.Context) (int64, error) {
	n, err := db.b.Size(ctx)
	if err != nil {
		return 0, fmt.Errorf("database size: %w", err)
	}
	return n, nil
}

// appendEvent writes e to the log; a status check identical to the
// checkout's latest event but for its time folds into it (a count and a
// last-seen time) instead, so that a checkout nobody pays doesn't collect
// one row per poll.
func appendEvent(ctx context.Context, tx Tx, e Event) error {
	if e.Type == EventStatusChecked {
		folded, err := tx.FoldEvent(ctx, e)
		if err != nil || folded {
			return err
		}
	}
	return tx.AppendEvent(ctx, e)
}
