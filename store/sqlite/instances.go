package sqlite

import (
	"context"
	"time"

	"github.com/paysync/paysync/store"
)

// localInstance names the one process a SQLite file serves.
const localInstance = "local"

// Live implements store.Instances: one process serves a SQLite file (its
// exclusive lock sees to that), so it is live from the start until ctx
// ends; the leases of a process that died are recovered at the next Open.
func (b *Backend) Live(ctx context.Context, fn func(instance string)) error {
	fn(localInstance)
	<-ctx.Done()
	return nil
}

// ReleaseGone implements store.Instances: there is no other instance.
func (b *Backend) ReleaseGone(ctx context.Context, now time.Time) (store.Released, error) {
	return store.Released{}, nil
}

// ReleaseClaims implements store.Instances: the claims of a process that
// stops come back at the next Open, under the file's lock.
func (b *Backend) ReleaseClaims(ctx context.Context, instance string, now time.Time) (store.Released, error) {
	return store.Released{}, nil
}

// OldestClaims implements store.Instances: claims don't record when they
// were made on SQLite (they only matter between instances).
func (b *Backend) OldestClaims(ctx context.Context, now time.Time) (time.Time, time.Time, error) {
	return time.Time{}, time.Time{}, nil
}
