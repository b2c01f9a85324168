package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/paysync/paysync/store"
)

// testLiveInstanceKeepsItsClaims: while an instance is live (Live has
// announced its session), no other instance hands its claims back, nor
// does a hand-back of another instance's claims: only a gone instance's
// claims are taken over (PostgreSQL's gone instances are tested with
// their sessions killed in store/postgres; on SQLite there is no other
// instance at all).
func testLiveInstanceKeepsItsClaims(t *testing.T, r *rig) {
	ctx, cancel := context.WithCancel(context.Background())
	ids := make(chan string, 8)
	done := make(chan error, 1)
	go func() { done <- r.db.Live(ctx, func(id string) { ids <- id }) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Live: %v", err)
		}
	}()
	if id := <-ids; id == "" { // a session starts in milliseconds; a hang is the test binary's timeout
		t.Fatal("Live announced a loss before any session")
	}
	r.register("live", r.clock.Now().Add(-time.Second))
	claimed, err := r.db.ClaimDue(ctx, 10, time.Minute)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claim = %d, %v", len(claimed), err)
	}
	other := r.instance()
	if got, err := other.ReleaseGone(ctx); err != nil || got != (store.Released{}) {
		t.Fatalf("ReleaseGone with the claimer live = %+v, %v; want nothing", got, err)
	}
	if got, err := other.ReleaseClaims(ctx, "another-instance"); err != nil || got != (store.Released{}) {
		t.Fatalf("ReleaseClaims(another instance) = %+v, %v; want nothing", got, err)
	}
	if got, err := other.ClaimDue(ctx, 10, time.Minute); err != nil || len(got) != 0 {
		t.Fatalf("another instance claimed %d checkouts of a live one (%v)", len(got), err)
	}
	r.clock.Advance(5 * time.Second)
	if checks, deliveries, err := other.OldestClaims(ctx); err != nil || checks < 0 || checks > 5*time.Second || deliveries != 0 {
		t.Fatalf("OldestClaims = %v, %v, %v; want the check's age (at most 5s) and no delivery", checks, deliveries, err)
	}
}
