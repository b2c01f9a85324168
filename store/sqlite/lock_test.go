package sqlite

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/paysync/paysync/store"
)

// TestSecondProcessRefused: while one backend serves a file, opening it
// again (as a second paysync process would) fails, naming the file, and
// the first one's live lease is untouched.
func TestSecondProcessRefused(t *testing.T) {
	ctx := context.Background()
	clock := newFakeClock()
	path := filepath.Join(t.TempDir(), "paysync.db")
	db := openTestDB(t, path, store.Options{MasterKey: testMasterKey, Now: clock.Now})
	m := newTestMerchant(t, db)
	mustRegister(t, db, newPayUnitCheckout(m, "leased", clock.Now().Add(-time.Second)))
	if got, err := db.ClaimDue(ctx, 10, time.Minute); err != nil || len(got) != 1 {
		t.Fatalf("claim = %d, %v", len(got), err)
	}

	second, err := Open(ctx, path, Options{Now: clock.Now})
	if err == nil {
		second.Close()
		t.Fatal("a second Open of a served file succeeded")
	}
	if !errors.Is(err, errInUse) || !strings.Contains(err.Error(), path) {
		t.Fatalf("second Open: %v; want errInUse naming %s", err, path)
	}
	if got, err := db.ClaimDue(ctx, 10, time.Minute); err != nil || len(got) != 0 {
		t.Fatalf("after the refused open %d checkouts were claimable under a live lease (%v)", len(got), err)
	}
}

// TestReopenRecoversDeadLeases: the leases a process left behind when it
// stopped are due at once for the next process on the file (it holds the
// file's lock, so their owner is gone).
func TestReopenRecoversDeadLeases(t *testing.T) {
	ctx := context.Background()
	clock := newFakeClock()
	path := filepath.Join(t.TempDir(), "paysync.db")
	db := openTestDB(t, path, store.Options{MasterKey: testMasterKey, Now: clock.Now})
	m := newTestMerchant(t, db)
	c := mustRegister(t, db, newPayUnitCheckout(m, "orphan", clock.Now().Add(-time.Second)))
	if got, err := db.ClaimDue(ctx, 10, time.Hour); err != nil || len(got) != 1 {
		t.Fatalf("claim = %d, %v", len(got), err)
	}
	if err := db.Close(); err != nil { // the process is gone, its lease still in the file
		t.Fatal(err)
	}
	db2 := openTestDB(t, path, store.Options{MasterKey: testMasterKey, Now: clock.Now})
	got, err := db2.ClaimDue(ctx, 10, time.Minute)
	if err != nil || len(got) != 1 || got[0].ID != c.ID {
		t.Fatalf("after reopen claim = %v, %v; want the orphaned checkout at once", got, err)
	}
}

// TestSecondProcessThroughSymlinkRefused: another path to the same file
// (a symlink) takes the same lock.
func TestSecondProcessThroughSymlinkRefused(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "paysync.db")
	openTestDB(t, path, store.Options{MasterKey: testMasterKey})
	link := filepath.Join(dir, "other-name.db")
	if err := os.Symlink(path, link); err != nil {
		t.Fatal(err)
	}
	if b, err := Open(ctx, link, Options{}); err == nil {
		b.Close()
		t.Fatal("opening the served file through a symlink succeeded")
	} else if !errors.Is(err, errInUse) {
		t.Fatalf("open through a symlink: %v, want errInUse", err)
	}
}
