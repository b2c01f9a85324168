package store

import (
	"context"
	"time"
)

// SignalKind says what a Signal announces.
type SignalKind int

// The signals a shared backend relays between instances.
const (
	// SignalCheckout: a checkout has a new committed version
	// (MerchantID, CheckoutID, Version are set).
	SignalCheckout SignalKind = iota + 1
	// SignalCheckDue: a checkout was made due now (a callback, a browser
	// return, a refresh): pollers should look.
	SignalCheckDue
	// SignalDeliveryDue: a webhook delivery is due now: dispatchers should look.
	SignalDeliveryDue
	// SignalResync: the backend may have missed signals (its connection to
	// the database was lost and is back): listeners re-read what they watch.
	SignalResync
)

// Signal is what some instance committed, as a shared backend relays it to
// every instance (its own included).
type Signal struct {
	Kind       SignalKind
	MerchantID string
	CheckoutID string
	Version    int64
}

// Announcer is implemented by backends that several processes share: it
// relays what any of them committed, so that the others act at once
// instead of at their next look.
type Announcer interface {
	// Listen calls fn with every signal until ctx ends, reconnecting as
	// needed (it sends SignalResync after a reconnection). It returns when
	// ctx ends.
	Listen(ctx context.Context, fn func(Signal)) error
}

// Budgets is implemented by backends that several processes share: a
// token bucket per key, kept in the database, so that every instance
// together stays within one limit (a merchant's provider rate limit).
type Budgets interface {
	// TakeToken takes one token from key's bucket (rate tokens a second,
	// at most burst) and returns 0, or returns how long to wait before a
	// token is there, taking nothing.
	TakeToken(ctx context.Context, key string, rate float64, burst int, now time.Time) (time.Duration, error)
	// TakeTokens takes up to n tokens from key's bucket at once (a claim
	// batch's checks of one merchant) and returns how many it took; for
	// each of the n-took left without one, in order, how long until its
	// token will exist (TokenWaits), taking nothing for them.
	TakeTokens(ctx context.Context, key string, rate float64, burst, n int, now time.Time) (int, []time.Duration, error)
}

// TokenWaits returns, for the k = 1…n requests a token bucket refused
// with left tokens (less than one) after its take, refilling at rate a
// second, when the k-th one's token will exist: (k - left) / rate.
func TokenWaits(n int, left, rate float64) []time.Duration {
	if n <= 0 {
		return nil
	}
	waits := make([]time.Duration, n)
	for k := range waits {
		waits[k] = time.Duration((float64(k+1) - left) / rate * float64(time.Second))
	}
	return waits
}

// Shared reports whether the store's backend is shared with other
// instances (it relays signals).
func (db *DB) Shared() bool {
	_, ok := db.b.(Announcer)
	return ok
}

// Listen relays the backend's signals to fn until ctx ends; on a backend
// no other process shares, it returns at once (false).
func (db *DB) Listen(ctx context.Context, fn func(Signal)) (bool, error) {
	a, ok := db.b.(Announcer)
	if !ok {
		return false, nil
	}
	return true, a.Listen(ctx, fn)
}

// Budgets returns the backend's shared budgets, or nil when the backend
// serves one process (an in-memory limiter is then exact).
func (db *DB) Budgets() Budgets {
	b, _ := db.b.(Budgets)
	return b
}
