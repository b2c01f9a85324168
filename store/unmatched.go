package store

import (
	"cmp"
	"context"
	"fmt"
	"time"
)

// UnmatchedLimits bound what one merchant may hold of callbacks that match
// no registered checkout: anyone who knows a merchant's notify URL can
// send them, and they are kept (to be adopted at registration) until the
// data lifecycle deletes them. Zero fields take the defaults shown.
type UnmatchedLimits struct {
	Count     int           // unmatched callbacks held at once (5000)
	Bytes     int64         // their bodies' bytes (32 MiB)
	PerWindow int           // unmatched callbacks accepted per Window (300)
	Window    time.Duration // (1m)
}

func (l UnmatchedLimits) withDefaults() UnmatchedLimits {
	l.Count = cmp.Or(l.Count, 5000)
	l.Bytes = cmp.Or(l.Bytes, 32<<20)
	l.PerWindow = cmp.Or(l.PerWindow, 300)
	l.Window = cmp.Or(l.Window, time.Minute)
	return l
}

// heldRetry is the Retry-After of a merchant at its count or bytes bound:
// room comes back when the merchant registers the checkouts the callbacks
// name or the lifecycle deletes old ones, not at a known time.
const heldRetry = 10 * time.Minute

// checkUnmatched refuses (ELIMIT, with a Retry-After) an unmatched callback
// of size bytes when the merchant is at one of its bounds.
func (db *DB) checkUnmatched(ctx context.Context, tx Tx, merchantID string, size int, now time.Time) error {
	l := db.limits
	u, err := tx.UnmatchedUsage(ctx, merchantID, now.Add(-l.Window))
	if err != nil {
		return fmt.Errorf("unmatched usage: %w", err)
	}
	switch {
	case u.Recent >= l.PerWindow:
		wait := max(u.OldestRecent.Add(l.Window).Sub(now), time.Second)
		return &Error{Code: ELIMIT, RetryAfter: wait, Message: fmt.Sprintf(
			"too many callbacks for checkouts that aren't registered (%d in %v)", u.Recent, l.Window)}
	case u.Count >= l.Count || u.Bytes+int64(size) > l.Bytes:
		return &Error{Code: ELIMIT, RetryAfter: heldRetry, Message: fmt.Sprintf(
			"too many callbacks held for checkouts that aren't registered (%d, %d bytes)", u.Count, u.Bytes)}
	}
	return nil
}
