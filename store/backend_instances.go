package store

import (
	"context"
	"time"
)

// The seam's part for the liveness of the instances sharing a database.

// Instances is how a backend tells the instances sharing it which of them
// are alive, so that the claims of one that is gone (killed, crashed, cut
// from the database) are taken over in seconds instead of after their
// lease. On a database only one process opens (SQLite) there is no other
// instance: Live reports this one live at once and the rest is a no-op.
type Instances interface {
	// Live makes this process known as a live instance until ctx ends: on
	// PostgreSQL, a row in instances and a session advisory lock on a
	// dedicated connection, which the server releases the moment that
	// connection dies, plus a heartbeat. It calls fn with the instance's
	// id when a session starts (every claim made from then on carries it)
	// and with "" when the session is lost (the connection dropped or its
	// heartbeat failed): until the next session starts, claims return
	// nothing. It reconnects by itself, each session under a new id. When
	// ctx ends it removes the instance and closes the session, then
	// returns; it hands back no claims (ReleaseClaims does).
	Live(ctx context.Context, fn func(instance string)) error
	// ReleaseGone hands back the claims still held by instances that are
	// gone (their lock is free, or their heartbeat is older than the
	// expiry, or they are no longer registered) and forgets those
	// instances: each such checkout becomes due when it was due, each
	// such delivery due at now, with a new claim_seq, so that what the
	// gone instance may still try to record is refused; the other
	// instances are told at commit. Claims whose lease already ran out
	// are left to the lease.
	ReleaseGone(ctx context.Context, now time.Time) (Released, error)
	// ReleaseClaims hands back, as ReleaseGone, the claims instance still
	// holds: a graceful stop's last step, after its workers stopped.
	ReleaseClaims(ctx context.Context, instance string, now time.Time) (Released, error)
	// OldestClaims returns when the oldest claim still held was made, of
	// a check and of a delivery; a zero time when none is held.
	OldestClaims(ctx context.Context, now time.Time) (checks, deliveries time.Time, err error)
}

// Released counts the claims handed back by ReleaseGone or ReleaseClaims.
type Released struct {
	Instances  int // gone instances forgotten (ReleaseGone)
	Checks     int // checkouts made due again
	Deliveries int // deliveries made due again
}
