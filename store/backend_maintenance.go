package store

import (
	"context"
	"time"
)

// The seam's part for the readiness probe and the retention sweep.

// MaintenanceTx is the writes of upkeep: the readiness probe's and the
// retention sweep's.
type MaintenanceTx interface {
	// ProbeWrite rewrites the one row of the readiness probe with now: a
	// write that must reach the disk like any other.
	ProbeWrite(ctx context.Context, now time.Time) error
	// PurgeHistory takes up to limit checkouts settled before settledBefore
	// whose history is still kept, oldest settled first, skipping rows other
	// transactions hold; deletes their events, their raw callbacks and the
	// attempts of their deliveries that aren't pending; and sets their
	// history_purged_at to now. The checkouts themselves stay.
	PurgeHistory(ctx context.Context, settledBefore time.Time, limit int, now time.Time) (Purged, error)
	// DeleteUnmatchedNotifications deletes up to limit callbacks attached
	// to no checkout and received before receivedBefore, skipping rows
	// other transactions hold, and returns how many it deleted.
	DeleteUnmatchedNotifications(ctx context.Context, receivedBefore time.Time, limit int) (int64, error)
}

// Purged counts the rows one PurgeHistory deleted, by table, and the
// checkouts whose history it purged.
type Purged struct {
	Checkouts     int64
	Events        int64
	Notifications int64
	Attempts      int64
	// IDs are the checkouts whose history one PurgeHistory purged (a
	// Swept, summing batches, leaves it empty).
	IDs []string
}
