// Package store is paysync's domain: merchants, checkouts, the state
// machine (decide), the event log, raw provider notifications, the check
// schedule and the webhook outbox, with the transaction orchestration of
// each operation written once. It keeps no SQL: a Backend (store/sqlite,
// and PostgreSQL later) offers the row operations underneath, and the
// conformance suite in store/storetest holds every backend to the same
// rules. See docs/architecture.md for the data flow.
package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Options configures New. Zero values take defaults.
type Options struct {
	// MasterKey is the 32-byte AES key that seals merchant secrets. Without it,
	// merchants can't be created and their secrets can't be read.
	MasterKey []byte
	// Now is the clock; time.Now by default.
	Now func() time.Time
	// OnChange, when set, learns every checkout whose version changed,
	// after the transaction that changed it committed. It is called on the
	// committing caller's goroutine and must not block; calls for one
	// checkout may arrive out of version order when writers race, so keep
	// the highest version seen.
	OnChange func(Checkout)
	// OnTouch, when set, learns after the commit each checkout a write
	// changed in place, without a new version: a callback's
	// callback_received_at and wake, a browser return's or a refresh's
	// wake, a claim's lease, the retention sweep's history_purged_at. Those
	// rewrite fields the API shows (next_check_at among them) and bump
	// Checkout.Rev, so whoever caches the checkout from OnChange drops it
	// here. It is called on the committing caller's goroutine and must not
	// block.
	OnTouch func(id string)
	// Unmatched bounds what one merchant may hold of callbacks that match
	// no checkout (defaults: see UnmatchedLimits).
	Unmatched UnmatchedLimits
	// Callbacks bounds the raw callbacks kept per registered checkout
	// (defaults: see CallbackLimits).
	Callbacks CallbackLimits
}

// DB is paysync's state over one Backend.
type DB struct {
	b        Backend
	sealer   *sealer
	now      func() time.Time
	onChange func(Checkout)
	onTouch  func(string)
	limits   UnmatchedLimits
	// callbacks bounds the raw callbacks kept per registered checkout.
	callbacks CallbackLimits
	refusals  refusals
	probe     probe
	health    health       // the callback write paths' last failures (readiness.go)
	named     namedCache   // identities known to name a registered checkout
	live      liveState    // this instance's liveness, while Live runs
	handoff   handoffState // where new deliveries go once committed (handoff.go)
}

// New returns the store over b, which it owns from now on (Close closes
// it). It fails on a master key of the wrong size.
func New(b Backend, opts Options) (*DB, error) {
	if b == nil {
		return nil, errors.New("new store: nil backend")
	}
	db := &DB{b: b, now: opts.Now, onChange: opts.OnChange, onTouch: opts.OnTouch, limits: opts.Unmatched.withDefaults(),
		callbacks: opts.Callbacks.withDefaults()}
	if db.now == nil {
		db.now = time.Now
	}
	if len(opts.MasterKey) > 0 {
		s, err := newSealer(opts.MasterKey)
		if err != nil {
			return nil, fmt.Errorf("new store: %w", err)
		}
		db.sealer = s
	}
	return db, nil
}

// Close closes the backend after the writes already queued.
func (db *DB) Close() error { return db.b.Close() }

// Ping reports whether the database answers, its schema is complete, this
// instance holds its liveness session while Live runs (else ErrNotLive), a
// write commits (the probe row and an inbox entry, at most once a second:
// see probeWrite) and no write path a callback takes (the inbox append, the
// record of an early callback, the drain) failed in the last seconds
// without succeeding since (health).
func (db *DB) Ping(ctx context.Context) error {
	if err := db.b.Ping(ctx); err != nil {
		return err
	}
	if err := db.live.err(); err != nil {
		return err
	}
	if err := db.probeWrite(ctx); err != nil {
		return err
	}
	return db.health.check(db.Now())
}

// Now returns the store's clock reading at millisecond precision (what the
// database keeps), for callers that must agree with it.
func (db *DB) Now() time.Time { return db.now().UTC().Truncate(time.Millisecond) }

// write runs fn in one write transaction of the backend.
// With a hand-off (HandDeliveriesTo), the deliveries it enqueues are
// handed on once it has committed.
func (db *DB) write(ctx context.Context, fn func(Tx) error) error {
	if h := db.handoff.Load(); h != nil {
		return db.writeHanding(ctx, h, fn)
	}
	return db.b.Write(ctx, fn)
}

// changed announces committed versions of checkouts to OnChange.
func (db *DB) changed(before int64, c Checkout) {
	if db.onChange != nil && c.ID != "" && c.Version != before {
		db.onChange(c)
	}
}

// touched announces to OnTouch the checkouts a committed write changed in place.
func (db *DB) touched(ids ...string) {
	if db.onTouch == nil {
		return
	}
	for _, id := range ids {
		if id != "" {
			db.onTouch(id)
		}
	}
}
