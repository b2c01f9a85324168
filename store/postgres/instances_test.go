package postgres

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/paysync/paysync/internal/testwait"
	"github.com/paysync/paysync/store"
	"github.com/paysync/paysync/store/postgres/pgtest"
)

// liveRig is two instances on one schema, each its own backend (its own
// pool and liveness session), with a merchant and a due checkout whose
// status change queued a delivery.
type liveRig struct {
	t      *testing.T
	a, b   *Backend
	dbA    *store.DB
	dbB    *store.DB
	merch  store.CreatedMerchant
	mu     sync.Mutex
	idsOfA []string // every id A's sessions announced ("" for a loss)
}

func newLiveRig(t *testing.T) *liveRig {
	t.Helper()
	srv := pgtest.Start(t)
	schema := srv.Schema(t)
	open := func() (*Backend, *store.DB) {
		b, err := Open(context.Background(), srv.URL, Options{Schema: schema})
		if err != nil {
			t.Fatal(err)
		}
		db, err := store.New(b, store.Options{MasterKey: testMasterKey})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return b, db
	}
	r := &liveRig{t: t}
	r.a, r.dbA = open()
	r.b, r.dbB = open()
	m, err := r.dbA.CreateMerchant(context.Background(), store.NewMerchant{Name: "acme", WebhookURL: "https://shop.example/hooks"})
	if err != nil {
		t.Fatal(err)
	}
	r.merch = m
	return r
}

// liveA runs A's liveness until the test ends and waits for its first session.
func (r *liveRig) liveA() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.dbA.Live(ctx, func(id string) {
			r.mu.Lock()
			r.idsOfA = append(r.idsOfA, id)
			r.mu.Unlock()
		})
	}()
	r.t.Cleanup(func() { cancel(); <-done })
	testwait.For(r.t, "A's first session", func() bool { return r.sessionA() != "" })
}

// sessionA is A's current session, "" while none.
func (r *liveRig) sessionA() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.idsOfA) == 0 {
		return ""
	}
	return r.idsOfA[len(r.idsOfA)-1]
}

// claimOnA registers a due checkout and a due delivery and claims both on A.
func (r *liveRig) claimOnA(ref string) (store.Checkout, store.Delivery) {
	r.t.Helper()
	ctx := context.Background()
	now := r.dbA.Now()
	c, _, err := r.dbA.RegisterCheckout(ctx, store.NewCheckout{MerchantID: r.merch.ID, Provider: store.ProviderPayUnit,
		Reference: ref, Amount: "2500", Currency: "XAF", FirstCheckAt: now})
	if err != nil {
		r.t.Fatal(err)
	}
	if err := r.a.Write(ctx, func(tx store.Tx) error {
		return tx.InsertDelivery(ctx, store.Delivery{ID: "dlv_" + ref, MerchantID: r.merch.ID, CheckoutID: c.ID, Version: 1,
			Type: "checkout.succeeded", Checkout: c, Status: store.DeliveryPending, NextAttemptAt: &now, CreatedAt: now, UpdatedAt: now})
	}); err != nil {
		r.t.Fatal(err)
	}
	cs, err := r.dbA.ClaimDue(ctx, 10, time.Minute)
	if err != nil || len(cs) != 1 {
		r.t.Fatalf("A claims %d checkouts, %v; want 1", len(cs), err)
	}
	ds, err := r.dbA.ClaimDeliveries(ctx, 10, time.Minute)
	if err != nil || len(ds) != 1 {
		r.t.Fatalf("A claims %d deliveries, %v; want 1", len(ds), err)
	}
	return cs[0], ds[0]
}

// killSession ends A's liveness connection as a killed process would.
func (r *liveRig) killSession(id string) {
	r.t.Helper()
	var n int
	err := r.b.pool.QueryRow(context.Background(), `SELECT count(pg_terminate_backend(l.pid)) FROM pg_locks l JOIN instances i
		ON ((l.classid::bigint << 32) | l.objid::bigint) = i.lock_key
		WHERE l.locktype = 'advisory' AND l.objsubid = 1 AND i.id = $1`, id).Scan(&n)
	if err != nil || n != 1 {
		r.t.Fatalf("terminate A's session: %d, %v", n, err)
	}
}

// TestGoneInstanceClaimsTakenOver: while A lives, B hands back none of
// its claims; once A's session dies (its connection killed), B's next
// look hands back A's check and delivery, due now with a new claim_seq
// (A's late outcome is refused), and B claims them at once. A comes back
// under a new instance by itself.
func TestGoneInstanceClaimsTakenOver(t *testing.T) {
	r := newLiveRig(t)
	ctx := context.Background()
	r.liveA()
	first := r.sessionA()
	c, d := r.claimOnA("G1")

	if got, err := r.dbB.ReleaseGone(ctx); err != nil || got != (store.Released{}) {
		t.Fatalf("ReleaseGone while A lives = %+v, %v; want nothing", got, err)
	}
	if got, _ := r.dbB.ClaimDue(ctx, 10, time.Minute); len(got) != 0 {
		t.Fatalf("B claimed %d checkouts A holds", len(got))
	}

	r.killSession(first)
	testwait.For(t, "A's lock to be released", func() bool {
		got, err := r.dbB.ReleaseGone(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got == (store.Released{}) {
			return false
		}
		if got.Checks != 1 || got.Deliveries != 1 {
			t.Fatalf("released %+v; want A's one check and one delivery", got)
		}
		return true
	})
	cs, err := r.dbB.ClaimDue(ctx, 10, time.Minute)
	if err != nil || len(cs) != 1 || cs[0].ID != c.ID || cs[0].ClaimSeq <= c.ClaimSeq {
		t.Fatalf("B claims %v, %v; want %s with a newer claim_seq", cs, err, c.ID)
	}
	ds, err := r.dbB.ClaimDeliveries(ctx, 10, time.Minute)
	if err != nil || len(ds) != 1 || ds[0].ID != d.ID || ds[0].ClaimSeq <= d.ClaimSeq {
		t.Fatalf("B claims deliveries %v, %v; want %s with a newer claim_seq", ds, err, d.ID)
	}
	// A's check, recorded late under its old claim, is refused.
	_, err = r.dbA.Apply(ctx, store.Observation{CheckoutID: c.ID, Version: c.Version, WakeSeq: c.WakeSeq,
		ClaimSeq: c.ClaimSeq, Checked: true, State: store.StateFailed, ProviderStatus: "FAILED"})
	if !errors.Is(err, store.ErrVersionConflict) {
		t.Fatalf("A's stale Apply = %v; want ErrVersionConflict", err)
	}
	testwait.For(t, "A to come back under a new instance", func() bool {
		s := r.sessionA()
		return s != "" && s != first
	})
	r.mu.Lock()
	lost := r.idsOfA[1]
	r.mu.Unlock()
	if lost != "" {
		t.Fatalf("A's sessions %v: the loss was not announced", r.idsOfA)
	}
}

// TestExpiredHeartbeatIsGone: an instance whose heartbeat is older than
// the expiry is gone, though its lock is held (a connection lingering on
// the server after the machine left the network); when it next beats it
// finds itself forgotten and starts a new session.
func TestExpiredHeartbeatIsGone(t *testing.T) {
	r := newLiveRig(t)
	ctx := context.Background()
	r.liveA()
	first := r.sessionA()
	r.claimOnA("H1")
	if _, err := r.b.pool.Exec(ctx, `UPDATE instances SET heartbeat_at = heartbeat_at - interval '1 minute' WHERE id = $1`, first); err != nil {
		t.Fatal(err)
	}
	got, err := r.dbB.ReleaseGone(ctx)
	if err != nil || got != (store.Released{Instances: 1, Checks: 1, Deliveries: 1}) {
		t.Fatalf("ReleaseGone = %+v, %v; want A and its two claims", got, err)
	}
	testwait.For(t, "A to start a new session", func() bool {
		s := r.sessionA()
		return s != "" && s != first
	})
}

// TestReleaseClaimsHandsBackOwn: a graceful stop hands the instance's
// claims back, and only its own.
func TestReleaseClaimsHandsBackOwn(t *testing.T) {
	r := newLiveRig(t)
	ctx := context.Background()
	r.liveA()
	r.claimOnA("R1")
	if got, err := r.dbA.ReleaseClaims(ctx, "someone-else"); err != nil || got != (store.Released{}) {
		t.Fatalf("ReleaseClaims(other) = %+v, %v; want nothing", got, err)
	}
	checks, deliveries, err := r.dbB.OldestClaims(ctx)
	if err != nil || checks < 0 || deliveries < 0 {
		t.Fatalf("OldestClaims = %v, %v, %v", checks, deliveries, err)
	}
	var held int
	r.b.pool.QueryRow(ctx, `SELECT count(*) FROM checkouts WHERE claimed_by = $1 AND claimed_at IS NOT NULL`, r.sessionA()).Scan(&held)
	if held != 1 {
		t.Fatalf("%d checkouts carry A's instance; want 1", held)
	}
	got, err := r.dbA.ReleaseClaims(ctx, r.sessionA())
	if err != nil || got.Checks != 1 || got.Deliveries != 1 {
		t.Fatalf("ReleaseClaims(own) = %+v, %v; want one check and one delivery", got, err)
	}
	if cs, _ := r.dbB.ClaimDue(ctx, 10, time.Minute); len(cs) != 1 {
		t.Fatalf("B claims %d checkouts after the hand-back; want 1", len(cs))
	}
}

// TestNoSessionNoClaims: while Live runs without a session, the instance
// claims nothing and has nothing due; without Live (tools) it claims.
func TestNoSessionNoClaims(t *testing.T) {
	r := newLiveRig(t)
	ctx := context.Background()
	now := r.dbA.Now()
	if _, _, err := r.dbA.RegisterCheckout(ctx, store.NewCheckout{MerchantID: r.merch.ID, Provider: store.ProviderPayUnit,
		Reference: "N1", Amount: "2500", Currency: "XAF", FirstCheckAt: now}); err != nil {
		t.Fatal(err)
	}
	r.a.live.set(true, "")
	if got, err := r.dbA.ClaimDue(ctx, 10, time.Minute); err != nil || len(got) != 0 {
		t.Fatalf("ClaimDue without a session = %d, %v; want nothing", len(got), err)
	}
	if _, ok, err := r.dbA.NextDue(ctx); ok || err != nil {
		t.Fatalf("NextDue without a session = %v, %v; want nothing due", ok, err)
	}
	r.a.live.set(false, "")
	if got, err := r.dbA.ClaimDue(ctx, 10, time.Minute); err != nil || len(got) != 1 {
		t.Fatalf("ClaimDue without liveness = %d, %v; want 1", len(got), err)
	}
}
