package sqlite

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/paysync/paysync/store"
	"github.com/paysync/paysync/store/sqlite/internal/seed"
)

// fileSize returns the size on disk of the database file, its WAL
// checkpointed into it first.
func fileSize(t *testing.T, d *testDB) int64 {
	t.Helper()
	if _, err := d.write.ExecContext(context.Background(), `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(d.b.path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// TestSweepShrinksFile: purging the history of settled checkouts gives
// the space back to the file system (auto_vacuum=incremental and the
// incremental vacuum after the sweep), and the checkouts stay.
func TestSweepShrinksFile(t *testing.T) {
	ctx := context.Background()
	clock := newFakeClock()
	d := newTestDB(t, clock.Now)
	m := newTestMerchant(t, d)
	const n = 3000
	if err := seed.SettledCheckouts(d.seedWrite(ctx), m.ID, "paid", n, clock.Now()); err != nil {
		t.Fatal(err)
	}
	before, sizeBefore := fileSize(t, d), mustSize(t, d)
	clock.Advance(2160*time.Hour + time.Hour)
	swept, err := d.Sweep(ctx, store.Retention{Settled: 2160 * time.Hour, Unmatched: 72 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if swept.Checkouts != n || swept.Events != 4*n || swept.Notifications != n || swept.Attempts != n || !swept.Compacted {
		t.Fatalf("swept %+v, want the history of %d checkouts", swept, n)
	}
	after := fileSize(t, d)
	t.Logf("%d settled checkouts: file %d → %d bytes; Size %d → %d (sweep reported %d → %d) in %d batches",
		n, before, after, sizeBefore, mustSize(t, d), swept.SizeBefore, swept.SizeAfter, swept.Batches)
	if after >= before || swept.SizeAfter >= swept.SizeBefore {
		t.Fatalf("file %d → %d bytes, Size %d → %d: the space didn't come back", before, after, swept.SizeBefore, swept.SizeAfter)
	}
	var free int64
	if err := d.read.QueryRow(`PRAGMA freelist_count`).Scan(&free); err != nil || free != 0 {
		t.Fatalf("freelist_count = %d, %v after the sweep's vacuum", free, err)
	}
	var kept int
	if err := d.read.QueryRow(`SELECT count(*) FROM checkouts WHERE state = 'succeeded' AND history_purged_at IS NOT NULL`).Scan(&kept); err != nil || kept != n {
		t.Fatalf("%d purged checkouts kept, %v; want %d", kept, err, n)
	}
}

func mustSize(t *testing.T, d *testDB) int64 {
	t.Helper()
	n, err := d.b.Size(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestOpenSwitchesExistingFileToIncrementalVacuum: a file made before
// auto_vacuum=incremental (auto_vacuum=none) is switched at open, once,
// its data kept.
func TestOpenSwitchesExistingFileToIncrementalVacuum(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	d := openTestDB(t, path, store.Options{MasterKey: testMasterKey})
	m := newTestMerchant(t, d)
	if got := autoVacuumMode(t, d.read); got != 2 {
		t.Fatalf("new file auto_vacuum = %d, want 2 (incremental)", got)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`PRAGMA auto_vacuum = NONE`, `VACUUM`} { // as files made before it
		if _, err := raw.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	if got := autoVacuumMode(t, raw); got != 0 {
		t.Fatalf("old file auto_vacuum = %d, want 0", got)
	}
	raw.Close()

	b, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if got := autoVacuumMode(t, b.read); got != 2 {
		t.Fatalf("reopened file auto_vacuum = %d, want 2 (incremental)", got)
	}
	if _, err := b.Merchant(ctx, m.ID); err != nil {
		t.Fatalf("merchant after the switch: %v", err)
	}
}

func autoVacuumMode(t *testing.T, db *sql.DB) int {
	t.Helper()
	var mode int
	if err := db.QueryRow(`PRAGMA auto_vacuum`).Scan(&mode); err != nil {
		t.Fatal(err)
	}
	return mode
}
