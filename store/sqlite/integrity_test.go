package sqlite

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/paysync/paysync/store"
)

// TestDamagedDatabaseRefusesToStart (issue 22, points 1 and 4): the inbox
// is a table of the database now, so the acknowledged callbacks not yet
// drained live and die with it; a database whose data pages are damaged
// (4 KiB overwritten anywhere from 20 % to 95 % into the file, undrained
// inbox rows in it) refuses the start, naming the file and what to do,
// instead of serving: before the integrity check at open, some of these
// opened and acknowledged callbacks they could not record.
func TestDamagedDatabaseRefusesToStart(t *testing.T) {
	for _, at := range []float64{0.2, 0.35, 0.5, 0.65, 0.8, 0.95, -0.6} {
		name := fmt.Sprintf("at %.0f%%", at*100)
		if at < 0 {
			name = fmt.Sprintf("truncated to %.0f%%", -at*100)
		}
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "paysync.db")
			clock := newFakeClock()
			db := openTestDB(t, path, store.Options{MasterKey: testMasterKey, Now: clock.Now})
			m := newTestMerchant(t, db)
			for i := range 20 {
				mustRegister(t, db, newPayUnitCheckout(m, fmt.Sprintf("tx-%d", i), clock.Now().Add(time.Hour)))
			}
			for i := range 60 {
				if acc, err := db.AcceptNotification(ctx, store.Notification{MerchantID: m.ID, Provider: store.ProviderPayUnit,
					TransactionID: fmt.Sprintf("tx-%d", i%20), Body: []byte(strings.Repeat("b", 2000))}); err != nil || !acc.Queued {
					t.Fatalf("accept = %+v, %v", acc, err)
				}
			}
			if err := db.Close(); err != nil { // checkpoints: everything in the file
				t.Fatal(err)
			}
			if at < 0 {
				truncate(t, path, -at)
			} else {
				damage(t, path, at)
			}
			b, err := Open(ctx, path, Options{})
			if err == nil {
				b.Close()
				t.Fatal("a damaged database opened")
			}
			if !errors.Is(err, errDamaged) || !strings.Contains(err.Error(), path) {
				t.Fatalf("Open = %v; want errDamaged naming %s", err, path)
			}
			servingDamaged(t, path, m.ID)
		})
	}
}

// servingDamaged opens the damaged database at path without the check at
// open (as if the damage came while serving) and checks that the first
// write to see it turns the backend away from callbacks: no new callback
// is acknowledged (no 200 without a record the drain can make), Ping
// fails, and the drain moves no entry aside for it (the entries stay).
func servingDamaged(t *testing.T, path, merchantID string) {
	t.Helper()
	ctx := context.Background()
	b, err := Open(ctx, path, Options{noQuickCheck: true})
	if err != nil {
		t.Logf("without the check, Open still fails: %v", err)
		return
	}
	db, err := store.New(b, store.Options{MasterKey: testMasterKey})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	accept := func() error {
		_, err := db.AcceptNotification(ctx, store.Notification{MerchantID: merchantID, Provider: store.ProviderPayUnit,
			TransactionID: "tx-1", Body: []byte(`{}`)})
		return err
	}
	acceptErr := accept()
	_, drainErr := db.DrainInbox(ctx, 0, 256)
	if acceptErr == nil && drainErr == nil {
		t.Logf("the damage is in pages neither the append nor the drain reads")
		return
	}
	if err := db.Ping(ctx); err == nil {
		t.Fatalf("Ping is nil after a write found the file damaged (accept: %v, drain: %v)", acceptErr, drainErr)
	}
	if err := accept(); !errors.Is(err, store.ErrDamaged) {
		t.Fatalf("a callback after the damage was seen: %v; want refused with store.ErrDamaged", err)
	}
	if drainErr != nil && !errors.Is(drainErr, store.ErrDamaged) {
		t.Fatalf("drain error %v lacks store.ErrDamaged: the drainer would move the entry aside", drainErr)
	}
}

// truncate cuts the file at path to the fraction at of its size, on a
// page boundary.
func truncate(t *testing.T, path string, at float64) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, int64(float64(st.Size())*at)&^4095); err != nil {
		t.Fatal(err)
	}
}
