package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// probeEvery is how long a committed probe write vouches for the
// database: /readyz polled often costs at most one write a second.
const probeEvery = time.Second

// probe remembers the last committed probe write.
type probe struct {
	mu   sync.Mutex // one probe at a time; the others wait and reuse its result
	last time.Time  // when the last probe committed
}

// probeWrite commits a one-row write (Tx.ProbeWrite), unless one committed
// less than probeEvery ago: a full disk or a read-only database then
// fails readiness instead of every real write.
func (db *DB) probeWrite(ctx context.Context) error {
	db.probe.mu.Lock()
	defer db.probe.mu.Unlock()
	now := db.Now()
	if !db.probe.last.IsZero() && now.Sub(db.probe.last) < probeEvery && !now.Before(db.probe.last) {
		return nil
	}
	if err := db.write(ctx, func(tx Tx) error { return tx.ProbeWrite(ctx, now) }); err != nil {
		db.probe.last = time.Time{}
		return fmt.Errorf("probe write: %w", err)
	}
	db.probe.last = now
	return nil
}

// CheckMasterKey verifies that the store's master key opens the sealed
// secrets of the database's merchants (one of them is opened: every start
// runs this check, so nothing is ever sealed under a second key). It
// returns nil when there is no merchant, and an ECONFIG error when the
// key is missing or is not the one the secrets were sealed with.
func (db *DB) CheckMasterKey(ctx context.Context) error {
	id, sealed, err := db.b.FirstSealedSecrets(ctx)
	switch {
	case ErrorCode(err) == ENOTFOUND:
		return nil
	case err != nil:
		return fmt.Errorf("check master key: %w", err)
	case db.sealer == nil:
		return Errorf(ECONFIG, "--master-key is required: the database holds merchants whose secrets it seals")
	}
	if _, err := db.sealer.open(sealed, id); err != nil {
		return Errorf(ECONFIG, "--master-key is not the key this database's secrets were sealed with (merchant %s's secrets don't open with it)", id)
	}
	return nil
}

// failingFor is how long a failure of a callback's write path keeps
// readiness down without a success of that path since: long enough for a
// load balancer polling every few seconds to see it, short enough that an
// instance no longer sent callbacks (so with no success to clear it) is
// tried again.
const failingFor = 10 * time.Second

// Write paths a callback takes, as readiness names them.
const (
	pathInboxAppend = "inbox append"    // AcceptNotification's append
	pathRecord      = "callback record" // RecordNotification (an early callback)
	pathDrain       = "inbox drain"     // DrainInbox and BuryInbox
)

// health remembers the last failure of each write path a callback takes,
// until a success of that path or failingFor: Ping then fails, so that
// /readyz turns 503 as soon as callbacks do, whatever the probe write saw.
type health struct {
	mu     sync.Mutex
	failed map[string]failure
}

type failure struct {
	at  time.Time
	err error
}

// note records the outcome of a write on path: a failure (an error that
// is not the caller's: ELIMIT and the like are answers, not failures) or a
// success, which clears it.
func (h *health) note(path string, now time.Time, err error) {
	if err != nil {
		switch ErrorCode(err) {
		case ELIMIT, ENOTFOUND, EINVALID, ECONFLICT:
			return
		}
		if errors.Is(err, context.Canceled) {
			return // the client went away
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if err == nil {
		delete(h.failed, path)
		return
	}
	if h.failed == nil {
		h.failed = map[string]failure{}
	}
	h.failed[path] = failure{at: now, err: err}
}

// check returns the most recent failure still in force at now, if any.
func (h *health) check(now time.Time) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out error
	var last time.Time
	for path, f := range h.failed {
		if now.Sub(f.at) >= failingFor || now.Before(f.at.Add(-failingFor)) {
			delete(h.failed, path)
			continue
		}
		if out == nil || f.at.After(last) {
			out, last = fmt.Errorf("%s failed %s ago: %w", path, now.Sub(f.at).Round(time.Millisecond), f.err), f.at
		}
	}
	return out
}
