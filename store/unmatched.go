package store

import (
	"cmp"
	"context"
	"fmt"
	"sync"
	"time"
)

// UnmatchedLimits bound what one merchant may hold of callbacks that match
// no registered checkout: anyone who knows a merchant's notify URL can
// send them, and they are kept (to be adopted at registration) until the
// data lifecycle deletes them. Zero fields take the defaults shown. The
// check costs an index range no longer than PerWindow, and, for a callback
// within the rate, a read of the merchant's one row of totals.
type UnmatchedLimits struct {
	Count     int           // unmatched callbacks held at once (1000)
	Bytes     int64         // their bodies' bytes (16 MiB)
	PerWindow int           // unmatched callbacks accepted per Window (300)
	Window    time.Duration // (1m)
}

func (l UnmatchedLimits) withDefaults() UnmatchedLimits {
	l.Count = cmp.Or(l.Count, 1000)
	l.Bytes = cmp.Or(l.Bytes, 16<<20)
	l.PerWindow = cmp.Or(l.PerWindow, 300)
	l.Window = cmp.Or(l.Window, time.Minute)
	return l
}

// heldRetry is the Retry-After of a merchant at its count or bytes bound:
// room comes back when the merchant registers the checkouts the callbacks
// name or the lifecycle deletes old ones, not at a known time.
const heldRetry = 10 * time.Minute

// checkUnmatched refuses (ELIMIT, with a Retry-After) an unmatched callback
// of size bytes when the merchant is at one of its bounds. The rate is
// checked first, on a range of an index no longer than the rate bound;
// the totals only for a callback within the rate. A refusal for the rate
// is remembered until it ends (see refusals), so a flood costs no query.
func (db *DB) checkUnmatched(ctx context.Context, tx Tx, merchantID string, size int, now time.Time) error {
	l := db.limits
	if until, ok := db.refusals.until(merchantID, now); ok {
		return rateRefusal(l, until.Sub(now))
	}
	var recent, count int
	var oldest time.Time
	var bytes int64
	var err error
	both, _ := txAs[unmatchedCounter](tx)
	if both != nil {
		recent, oldest, count, bytes, err = both.UnmatchedCounts(ctx, merchantID, now.Add(-l.Window))
	} else {
		recent, oldest, err = tx.RecentUnmatched(ctx, merchantID, now.Add(-l.Window))
	}
	if err != nil {
		return fmt.Errorf("recent unmatched callbacks: %w", err)
	}
	if recent >= l.PerWindow {
		wait := max(oldest.Add(l.Window).Sub(now), time.Second)
		db.refusals.hold(merchantID, now.Add(wait))
		return rateRefusal(l, wait)
	}
	if both == nil {
		if count, bytes, err = tx.UnmatchedTotals(ctx, merchantID); err != nil {
			return fmt.Errorf("unmatched callbacks: %w", err)
		}
	}
	if count >= l.Count || bytes+int64(size) > l.Bytes {
		return &Error{Code: ELIMIT, RetryAfter: heldRetry, Message: fmt.Sprintf(
			"too many callbacks held for checkouts that aren't registered (%d, %d bytes)", count, bytes)}
	}
	return nil
}

// unmatchedCounter is a Tx that reads what checkUnmatched needs in one
// statement: RecentUnmatched's count and oldest, and UnmatchedTotals'
// count and bytes: SQLite's, where the two reads are one each way.
type unmatchedCounter interface {
	UnmatchedCounts(ctx context.Context, merchantID string, since time.Time) (recent int, oldest time.Time, count int, bytes int64, err error)
}

func rateRefusal(l UnmatchedLimits, wait time.Duration) error {
	return &Error{Code: ELIMIT, RetryAfter: wait, Message: fmt.Sprintf(
		"too many callbacks for checkouts that aren't registered (%d in %v)", l.PerWindow, l.Window)}
}

// refusals remembers, per merchant, until when unmatched callbacks are
// refused for the rate: no row enters the window meanwhile, so the
// refusal can't end earlier. Entries past their time are dropped as the
// map is written.
type refusals struct {
	mu   sync.Mutex
	byID map[string]time.Time
}

func (r *refusals) until(merchantID string, now time.Time) (time.Time, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	t, ok := r.byID[merchantID]
	return t, ok && now.Before(t)
}

func (r *refusals) hold(merchantID string, until time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.byID == nil {
		r.byID = map[string]time.Time{}
	}
	for id, t := range r.byID {
		if !t.After(until.Add(-time.Hour)) { // long over
			delete(r.byID, id)
		}
	}
	r.byID[merchantID] = until
}
