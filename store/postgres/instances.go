package postgres

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/paysync/paysync/store"
)

// The liveness of the instances sharing the database. Each live instance
// holds, on a connection of its own, a session advisory lock under a key
// of its own and a row in instances naming that key; PostgreSQL releases
// the lock the moment the connection dies (a killed process, a crash),
// so the others see at once that it is gone. A heartbeat covers what the
// server cannot see (a machine cut off the network, whose connection
// lingers server-side): a row whose heartbeat is older than
// heartbeatExpiry is gone too. As river's elector trusts its leadership
// for less than its TTL, an instance stops claiming as soon as one
// heartbeat fails, well before the others would take it for gone.
const (
	heartbeatEvery   = 2 * time.Second
	heartbeatTimeout = 2 * time.Second // one heartbeat; a failed one ends the session
	heartbeatExpiry  = 6 * time.Second // the others' bound: three heartbeats
	reconnectMax     = 2 * time.Second // longest pause between two session attempts
)

// liveness is this instance's session as the claims see it.
type liveness struct {
	mu sync.Mutex
	on bool   // Live runs: claims need a session
	id string // the session's instance; "" while there is none
}

// claimant returns the instance claims are made for; ok is false while
// Live runs without a session (claim nothing). Without Live (tools,
// tests) claims carry no instance and only their lease brings them back.
func (l *liveness) claimant() (id string, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.id, !l.on || l.id != ""
}

func (l *liveness) set(on bool, id string) {
	l.mu.Lock()
	l.on, l.id = on, id
	l.mu.Unlock()
}

// Live implements store.Instances on a dedicated connection, one session
// after another (a new instance id each), until ctx ends.
func (b *Backend) Live(ctx context.Context, fn func(instance string)) error {
	b.live.set(true, "")
	defer b.live.set(false, "")
	pause := 100 * time.Millisecond
	for ctx.Err() == nil {
		started, _ := b.session(ctx, fn) // the cause of a lost session shows in the caller's log as the transition
		if ctx.Err() != nil {
			break
		}
		if started {
			pause = 100 * time.Millisecond
		}
		select {
		case <-ctx.Done():
		case <-time.After(pause):
		}
		pause = min(2*pause, reconnectMax)
	}
	return nil
}

// session registers one instance and keeps it alive until the connection
// or a heartbeat fails (it calls fn("") then) or ctx ends (it removes the
// instance). started reports whether the instance was registered.
func (b *Backend) session(ctx context.Context, fn func(string)) (started bool, err error) {
	cfg := b.pool.Config().ConnConfig.Copy() // the pool's settings: search_path
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = 5 * time.Second
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return false, fmt.Errorf("liveness: connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	id, key := newInstance(b.schema)
	// the lock first: an instance row is never seen without its lock held
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, key); err != nil {
		return false, fmt.Errorf("liveness: lock: %w", err)
	}
	if _, err := conn.Exec(ctx, `INSERT INTO instances (id, lock_key) VALUES ($1, $2)`, id, key); err != nil {
		return false, fmt.Errorf("liveness: register: %w", err)
	}
	b.live.set(true, id)
	fn(id)
	tick := time.NewTicker(heartbeatEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			b.live.set(true, "")
			dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), heartbeatTimeout)
			defer cancel()
			_, err := conn.Exec(dctx, `DELETE FROM instances WHERE id = $1`, id)
			return true, err
		case <-tick.C:
		}
		if err := heartbeat(ctx, conn, id); err != nil {
			b.live.set(true, "")
			if ctx.Err() == nil {
				fn("")
			}
			return true, err
		}
	}
}

// errForgotten is a heartbeat finding its instance removed: the others
// took it for gone and handed its claims back.
var errForgotten = errors.New("liveness: this instance was taken for gone")

func heartbeat(ctx context.Context, conn *pgx.Conn, id string) error {
	hctx, cancel := context.WithTimeout(ctx, heartbeatTimeout)
	defer cancel()
	tag, err := conn.Exec(hctx, `UPDATE instances SET heartbeat_at = clock_timestamp() WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("liveness: heartbeat: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return errForgotten
	}
	return nil
}

// newInstance returns a fresh instance id and its advisory lock key: a
// positive 64-bit hash of the schema and the id (advisory locks are per
// database, the schema tells tests' databases apart).
func newInstance(schema string) (string, int64) {
	var r [8]byte
	rand.Read(r[:])
	id := hex.EncodeToString(r[:])
	sum := sha256.Sum256([]byte("paysync instance|" + schema + "|" + id))
	return id, int64(binary.BigEndian.Uint64(sum[:8]) >> 1)
}

// goneSQL removes the instances that are gone and returns them: the
// lock of their session is not held (pg_locks shows a bigint advisory
// key as classid, its high half, and objid, its low half, with objsubid
// 1) or their heartbeat is older than $2 seconds (the server's clock,
// which every instance shares).
const goneSQL = `DELETE FROM instances i
	WHERE i.heartbeat_at < clock_timestamp() - make_interval(secs => $2)
	OR NOT EXISTS (SELECT 1 FROM pg_locks l
		WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
		AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
		AND ((l.classid::bigint << 32) | l.objid::bigint) = i.lock_key)
	RETURNING i.id`

// ReleaseGone implements store.Instances in one statement: the gone
// instances are removed, and the claims still held (lease_until > now)
// by one of them, or by an instance no longer registered (one that
// claimed as it was being removed), are handed back. A claim another
// reaper handed back meanwhile is skipped (the row is re-read under its
// lock, and its lease is gone).
func (b *Backend) ReleaseGone(ctx context.Context, now time.Time) (store.Released, error) {
	return b.release(ctx, `WITH gone AS (`+goneSQL+`),`,
		`(claimed_by IN (SELECT id FROM gone) OR NOT EXISTS (SELECT 1 FROM instances i WHERE i.id = claimed_by))`,
		now, heartbeatExpiry.Seconds())
}

// ReleaseClaims implements store.Instances.
func (b *Backend) ReleaseClaims(ctx context.Context, instance string, now time.Time) (store.Released, error) {
	return b.release(ctx, `WITH gone AS (SELECT NULL::text AS id WHERE $2::text IS NULL),`, `claimed_by = $2`, now, instance)
}

// release runs one release statement: with, the gone CTE (bound to $2);
// owned, which claims to hand back. Checkouts become due when they were
// due, deliveries at now; both get a new claim_seq, and the instances
// are told at commit.
func (b *Backend) release(ctx context.Context, with, owned string, now time.Time, arg any) (store.Released, error) {
	var r store.Released
	q := with + `
		c AS (UPDATE checkouts SET next_check_at = LEAST(COALESCE(claimed_due_at, $1), $1), lease_until = NULL,
			claim_seq = claim_seq + 1, rev = rev + 1
			WHERE lease_until > $1 AND claimed_by IS NOT NULL AND ` + owned + ` RETURNING 1),
		d AS (UPDATE deliveries SET next_attempt_at = $1, lease_until = NULL, claim_seq = claim_seq + 1
			WHERE lease_until > $1 AND status = 'pending' AND claimed_by IS NOT NULL AND ` + owned + ` RETURNING 1)
		SELECT (SELECT count(*) FROM gone), (SELECT count(*) FROM c), (SELECT count(*) FROM d)`
	err := b.Write(ctx, func(st store.Tx) error {
		t := st.(*tx)
		if _, err := t.exec(claimsPlan); err != nil {
			return err
		}
		if err := t.QueryRow(t.ctx, q, ms(now), arg).Scan(&r.Instances, &r.Checks, &r.Deliveries); err != nil {
			return err
		}
		if r.Checks > 0 {
			if err := t.notify(signalPayload(store.Signal{Kind: store.SignalCheckDue})); err != nil {
				return err
			}
		}
		if r.Deliveries > 0 {
			return t.deliveryDue()
		}
		return nil
	})
	if err != nil {
		return store.Released{}, fmt.Errorf("release claims: %w", err)
	}
	return r, nil
}

// claimsPlan has a transaction plan its statements over the claims held
// as walks of the claims' partial indexes (checkouts_claimed,
// deliveries_claimed), not sequential scans, and without JIT: the claims
// in flight are few whatever the table's statistics say. Right after a
// bulk load, before autovacuum's first ANALYZE, the planner scanned all
// 120,000 checkouts and JIT-compiled the scan (364 ms of it): ReleaseGone
// took 1.6-3.7 s a run, every 2 s, under the bench's load.
const claimsPlan = `SET LOCAL enable_seqscan = off; SET LOCAL jit = off`

// OldestClaims implements store.Instances over the claims held.
func (b *Backend) OldestClaims(ctx context.Context, now time.Time) (time.Time, time.Time, error) {
	var c, d *int64
	err := pgx.BeginFunc(ctx, b.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, claimsPlan); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `SELECT (SELECT min(claimed_at) FROM checkouts WHERE lease_until > $1),
			(SELECT min(claimed_at) FROM deliveries WHERE lease_until > $1 AND status = 'pending')`,
			ms(now)).Scan(&c, &d)
	})
	if err != nil {
		return time.Time{}, time.Time{}, fmt.Errorf("oldest claims: %w", err)
	}
	var tc, td time.Time
	if c != nil {
		tc = fromMS(*c)
	}
	if d != nil {
		td = fromMS(*d)
	}
	return tc, td, nil
}
