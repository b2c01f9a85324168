package store

import (
	"context"
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
