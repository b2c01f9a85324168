package store

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"
)

// ErrNotLive is what Ping returns while this instance has lost its
// liveness session with the database (Live runs, no session is up): it
// claims nothing until the session is back.
var ErrNotLive = errors.New("this instance is not live: it lost its session with the database")

// liveState is where Live stands: 0 Live not running, 1 live, 2 not live.
type liveState struct{ v atomic.Int32 }

func (s *liveState) err() error {
	if s.v.Load() == 2 {
		return ErrNotLive
	}
	return nil
}

// Live keeps this instance known to the others sharing the database until
// ctx ends (Backend.Live): fn learns the instance's id when a session
// starts and "" when it is lost; meanwhile claims return nothing and Ping
// fails with ErrNotLive. On SQLite the one process is live at once.
func (db *DB) Live(ctx context.Context, fn func(instance string)) error {
	db.live.v.Store(2)
	defer db.live.v.Store(0)
	return db.b.Live(ctx, func(id string) {
		if id == "" {
			db.live.v.Store(2)
		} else {
			db.live.v.Store(1)
		}
		fn(id)
	})
}

// ReleaseGone hands back the claims of the instances that are gone
// (Backend.ReleaseGone), made due at once; the others are woken.
func (db *DB) ReleaseGone(ctx context.Context) (Released, error) {
	r, err := db.b.ReleaseGone(ctx, db.Now())
	if err != nil {
		return Released{}, fmt.Errorf("release gone instances' claims: %w", err)
	}
	return r, nil
}

// ReleaseClaims hands back the claims instance still holds
// (Backend.ReleaseClaims): a graceful stop's, after its workers stopped.
func (db *DB) ReleaseClaims(ctx context.Context, instance string) (Released, error) {
	r, err := db.b.ReleaseClaims(ctx, instance, db.Now())
	if err != nil {
		return Released{}, fmt.Errorf("release claims of %s: %w", instance, err)
	}
	return r, nil
}

// OldestClaims returns how long the oldest claim still held has been
// held, of a check and of a delivery (0 when none is held).
func (db *DB) OldestClaims(ctx context.Context) (checks, deliveries time.Duration, err error) {
	now := db.Now()
	c, d, err := db.b.OldestClaims(ctx, now)
	if err != nil {
		return 0, 0, fmt.Errorf("oldest claims: %w", err)
	}
	age := func(t time.Time) time.Duration {
		if t.IsZero() {
			return 0
		}
		return max(now.Sub(t), 0)
	}
	return age(c), age(d), nil
}
