package sqlite

import (
	"context"
	"path/filepath"
	"sync"
	"testing"

	"github.com/paysync/paysync/store"
)

// changeLog records what OnChange announced.
type changeLog struct {
	mu   sync.Mutex
	seen []store.Checkout
}

func (l *changeLog) add(c store.Checkout) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seen = append(l.seen, c)
}

func (l *changeLog) versions(id string) []int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []int64
	for _, c := range l.seen {
		if c.ID == id {
			out = append(out, c.Version)
		}
	}
	return out
}

func TestOnChangeAnnouncesCommittedVersions(t *testing.T) {
	clock := newFakeClock()
	var log changeLog
	db := openTestDB(t, filepath.Join(t.TempDir(), "paysync.db"), store.Options{MasterKey: testMasterKey, Now: clock.Now, OnChange: log.add})
	ctx := context.Background()
	m := newTestMerchant(t, db)

	c := claimOne(t, db, m, "ref") // registered: version 1
	if got := log.versions(c.ID); len(got) != 1 || got[0] != 1 {
		t.Fatalf("after registration OnChange saw versions %v, want [1]", got)
	}
	if _, created, err := db.RegisterCheckout(ctx, newPayUnitCheckout(m, "ref", db.Now())); err != nil || created {
		t.Fatalf("repeat registration: created=%v err=%v", created, err)
	}
	pending := successFor(c)
	pending.State, pending.ProviderStatus = store.StatePending, "PENDING"
	first, err := db.Apply(ctx, pending) // provider_status appears: version 2
	if err != nil {
		t.Fatal(err)
	}
	again := successFor(first)
	again.State, again.ProviderStatus = store.StatePending, "PENDING"
	second, err := db.Apply(ctx, again) // nothing visible changes
	if err != nil || second.Version != first.Version {
		t.Fatalf("unchanged Apply: version %d -> %d, %v", first.Version, second.Version, err)
	}
	if _, err := db.Apply(ctx, successFor(c)); err == nil {
		t.Fatal("stale Apply succeeded")
	}
	settled, err := db.Apply(ctx, successFor(second))
	if err != nil {
		t.Fatal(err)
	}
	got := log.versions(c.ID)
	if len(got) != 3 || got[0] != 1 || got[1] != 2 || got[2] != settled.Version || settled.Version != 3 {
		t.Fatalf("OnChange saw versions %v, want [1 2 3]: not the repeat registration, the unchanged check or the stale one", got)
	}
}
