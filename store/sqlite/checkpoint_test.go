package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// openBackend opens a backend in t.TempDir() with opts, closed at the end
// of the test unless the test closed it, with a filler table to write to.
func openBackend(t testing.TB, opts Options) *Backend {
	t.Helper()
	b, err := Open(context.Background(), filepath.Join(t.TempDir(), "paysync.db"), opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { b.Close() }) // again, if the test closed it: a no-op
	err = b.exec(context.Background(), func(tx *sql.Tx) error {
		_, err := tx.Exec(`CREATE TABLE filler (id INTEGER PRIMARY KEY, tag TEXT NOT NULL, body BLOB NOT NULL);
			CREATE INDEX filler_tag ON filler (tag)`)
		return err
	})
	if err != nil {
		t.Fatalf("create filler: %v", err)
	}
	return b
}

// fill commits n writes of a row of size bytes each, one transaction each.
func fill(t testing.TB, b *Backend, n, size int) {
	t.Helper()
	for range n {
		if err := writeFiller(b, size); err != nil {
			t.Fatalf("write: %v", err)
		}
	}
}

func writeFiller(b *Backend, size int) error {
	return b.exec(context.Background(), func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO filler (tag, body) VALUES (hex(randomblob(8)), randomblob(?))`, size)
		return err
	})
}

// walCounts reads the WAL's frames and those checkpointed, on a connection
// of the test's own: PRAGMA wal_checkpoint(NOOP) copies nothing.
func walCounts(t *testing.T, b *Backend) checkpointResult {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+b.path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var r checkpointResult
	if err := db.QueryRow(`PRAGMA wal_checkpoint(NOOP)`).Scan(&r.busy, &r.log, &r.done); err != nil {
		t.Fatalf("wal_checkpoint(NOOP): %v", err)
	}
	return r
}

// The writer's connection never checkpoints on its own (and the test
// sees the difference: the old behaviour has SQLite's default, 1000).
func TestWriterAutoCheckpointOff(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts Options
		want int
	}{
		{"checkpointer", Options{BackgroundCheckpoint: true}, 0},
		{"autocheckpoint", Options{}, 1000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := openBackend(t, tc.opts)
			var got int
			err := b.exec(context.Background(), func(tx *sql.Tx) error {
				return tx.QueryRow(`PRAGMA wal_autocheckpoint`).Scan(&got)
			})
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("writer's wal_autocheckpoint = %d, want %d", got, tc.want)
			}
		})
	}
}

// Past CheckpointPages frames, the checkpointer (and nobody else: no
// timer here) brings the frames not checkpointed back under the threshold.
func TestCheckpointerAfterPages(t *testing.T) {
	const pages = 16
	b := openBackend(t, Options{BackgroundCheckpoint: true, CheckpointPages: pages, CheckpointInterval: time.Hour})
	fill(t, b, 8*pages, 3000) // a page or more each
	waitFor(t, "the WAL checkpointed", func() bool { return walCounts(t, b).pending() < pages })
	if r := walCounts(t, b); r.log == 0 {
		t.Fatalf("wal_checkpoint(NOOP) = %+v: nothing written to the WAL", r)
	}
	if n := b.c.stats.passes.Load(); n == 0 {
		t.Fatal("no checkpoint ran")
	}
}

// Fewer writes than CheckpointPages are checkpointed on the next tick.
func TestCheckpointerOnTick(t *testing.T) {
	b := openBackend(t, Options{BackgroundCheckpoint: true, CheckpointPages: 1 << 30, CheckpointInterval: time.Millisecond})
	fill(t, b, 10, 100)
	waitFor(t, "the WAL checkpointed", func() bool {
		r := walCounts(t, b)
		return r.log > 0 && r.pending() == 0
	})
}

// Close runs a last TRUNCATE checkpoint and waits for the checkpointer's
// goroutine to end.
func TestCloseJoinsCheckpointer(t *testing.T) {
	b := openBackend(t, Options{BackgroundCheckpoint: true, CheckpointInterval: time.Hour})
	fill(t, b, 50, 100)
	c := b.c
	if err := b.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	select {
	case <-c.done:
	default:
		t.Fatal("Close returned before the checkpointer's loop ended")
	}
	buf := make([]byte, 1<<20)
	if stacks := string(buf[:runtime.Stack(buf, true)]); strings.Contains(stacks, "(*checkpointer).loop") {
		t.Fatalf("a checkpointer goroutine outlives Close:\n%s", stacks)
	}
	if fi, err := os.Stat(b.path + "-wal"); err == nil && fi.Size() != 0 {
		t.Fatalf("WAL is %d bytes after Close, want it truncated", fi.Size())
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	// Everything committed is in the file.
	db, err := sql.Open("sqlite3", "file:"+b.path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM filler`).Scan(&n); err != nil || n != 50 {
		t.Fatalf("%d rows after Close (%v), want 50", n, err)
	}
}

// The writer goes on committing while a checkpoint runs: with a
// checkpoint after every page, concurrent writers see one of their
// commits land during a checkpoint, and every write commits.
func TestWritesCommitDuringCheckpoint(t *testing.T) {
	b := openBackend(t, Options{BackgroundCheckpoint: true, CheckpointPages: 1, CheckpointInterval: time.Hour})
	var stop atomic.Bool
	var wrote atomic.Int64
	errs := make(chan error, 4)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for !stop.Load() {
				if err := writeFiller(b, 2000); err != nil {
					errs <- err
					return
				}
				wrote.Add(1)
			}
		})
	}
	waitFor(t, "a commit during a checkpoint", func() bool { return b.c.stats.overlapped.Load() > 0 })
	stop.Store(true)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("write: %v", err)
	}
	var n int64
	if err := b.read.QueryRow(`SELECT count(*) FROM filler`).Scan(&n); err != nil || n != wrote.Load() {
		t.Fatalf("%d rows (%v), want the %d writes acknowledged", n, err, wrote.Load())
	}
}

// A reader that pins the WAL makes PASSIVE checkpoints stall; with the WAL
// over its limit the checkpointer escalates (a TRUNCATE checkpoint, which
// gives up after its busy timeout), writes still commit, and once the
// reader is gone the WAL is checkpointed.
func TestCheckpointerEscalatesWhenReadersPin(t *testing.T) {
	b := openBackend(t, Options{BackgroundCheckpoint: true, CheckpointPages: 1, CheckpointInterval: time.Millisecond, WALLimit: 1,
		BusyTimeout: 250 * time.Millisecond})
	fill(t, b, 1, 100)
	pin, err := b.read.BeginTx(context.Background(), &sql.TxOptions{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := pin.QueryRow(`SELECT count(*) FROM filler`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	fill(t, b, 20, 3000)
	waitFor(t, "an escalation", func() bool { return b.c.stats.escalations.Load() > 0 })
	if r := walCounts(t, b); r.pending() == 0 {
		t.Fatalf("wal_checkpoint(NOOP) = %+v: the reader pinned nothing", r)
	}
	fill(t, b, 5, 100) // the writer isn't stuck behind the checkpointer
	if err := pin.Rollback(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the WAL checkpointed", func() bool { return walCounts(t, b).pending() == 0 })
}

func TestShouldEscalate(t *testing.T) {
	const limit = 64 << 20
	for _, tc := range []struct {
		stalled          int
		wal              int64
		idle, wroteSince bool
		want             bool
	}{
		{stalledBeforeEscalation, limit, true, true, false},         // the WAL is within its limit
		{stalledBeforeEscalation - 1, limit + 1, true, true, false}, // PASSIVE may still catch up
		{stalledBeforeEscalation, limit + 1, true, true, true},      // idle writer: now
		{stalledBeforeEscalation, limit + 1, true, false, false},    // but not twice without a commit between
		{stalledBeforeEscalation, limit + 1, false, true, false},    // busy writer: wait for a quiet moment
		{stalledBeforeForce - 1, limit + 1, false, true, false},     // still waiting
		{stalledBeforeForce, limit + 1, false, true, true},          // waited long enough
		{stalledBeforeForce, limit + 1, false, false, false},        // not twice without a commit between
		{stalledBeforeForce + 5, 10 * limit, false, true, true},     // and on
		{stalledBeforeForce + 5, limit, false, true, false},         // but never for a small WAL
		{0, 10 * limit, true, true, false},                          // nor without a stall
	} {
		if got := shouldEscalate(tc.stalled, tc.wal, limit, tc.idle, tc.wroteSince); got != tc.want {
			t.Errorf("shouldEscalate(%d, %d, %d, idle %t, wroteSince %t) = %t, want %t",
				tc.stalled, tc.wal, limit, tc.idle, tc.wroteSince, got, tc.want)
		}
	}
}
