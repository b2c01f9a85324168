package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// WAL checkpoints run off the commit path (issue 14). SQLite's automatic
// checkpoint runs inside the commit that crosses wal_autocheckpoint pages,
// on the connection that commits: with one writer, that commit and every
// caller waiting on its group commit stall while the checkpoint copies
// pages and fsyncs the database file. So the writer's connection has it
// off, and a checkpointer goroutine runs the checkpoints on a connection of
// its own, while the writer goes on committing into the WAL.
//
// A checkpoint never loses data: it copies frames that are already durable
// in the WAL into the database file, and a crash in the middle leaves the
// WAL to be replayed at the next open.

// Checkpoint defaults (Options).
const (
	defaultCheckpointPages    = 1000 // SQLite's wal_autocheckpoint default
	defaultCheckpointInterval = time.Second
	defaultWALLimit           = 64 << 20
	checkpointPassTimeout     = time.Minute // one pass's bound
)

// The WAL starts again from its first frame only when a write begins with
// every frame checkpointed. Under writes without a pause, a PASSIVE
// checkpoint never quite catches up (the writer commits while it copies),
// so the WAL would grow for as long as the writes go on. Once its frames
// reach WALLimit, the checkpointer follows its PASSIVE checkpoint with a
// RESTART one: that holds new writes while it copies the frames committed
// meanwhile and syncs, and the next write starts the WAL again. (Doing so
// sooner, every few CheckpointPages, costs more than the automatic
// checkpoint it replaces: see BenchmarkGroupCommitLatency.)

// A checkpoint that can't finish (a reader still uses the frames it would
// copy) is retried; after stalledBeforeEscalation such passes in a row,
// with the WAL file over its limit, the checkpointer escalates to TRUNCATE
// when the writer is idle, or after stalledBeforeForce passes even if it
// isn't, so that the WAL can't grow without bound.
const (
	stalledBeforeEscalation = 3
	stalledBeforeForce      = 10
)

// shouldEscalate reports whether the checkpointer, after stalled PASSIVE
// checkpoints in a row that could not finish, should run a TRUNCATE one,
// which waits for the readers and holds new writes meanwhile: only when
// the WAL file is over its limit, preferably while no write is under way,
// and never twice without a commit between (wroteSince), so the writer
// can't be starved by escalations one after the other.
func shouldEscalate(stalled int, walBytes, limit int64, idle, wroteSince bool) bool {
	if walBytes <= limit || stalled < stalledBeforeEscalation || !wroteSince {
		return false
	}
	return idle || stalled >= stalledBeforeForce
}

// checkpointResult is one row of PRAGMA wal_checkpoint: busy is 1 when the
// checkpoint could not take its locks or finish, log the frames in the
// WAL, done the frames already copied into the database file.
type checkpointResult struct{ busy, log, done int64 }

// complete reports that every frame of the WAL is in the database file.
func (r checkpointResult) complete() bool { return r.busy == 0 && r.done >= r.log }

// pending is how many frames of the WAL are not yet in the database file.
func (r checkpointResult) pending() int64 { return max(r.log-r.done, 0) }

// checkpointStats counts what the checkpointer did, for tests.
type checkpointStats struct {
	passes      atomic.Int64 // PASSIVE checkpoints run
	incomplete  atomic.Int64 // of which could not copy every frame
	restarts    atomic.Int64 // RESTART checkpoints run because the WAL reached its limit
	escalations atomic.Int64 // TRUNCATE checkpoints run because PASSIVE stalled
	overlapped  atomic.Int64 // checkpoints during which the writer committed
	errors      atomic.Int64
}

// checkpointer runs WAL checkpoints on its own connection (db), from
// startCheckpointer until stop: a PASSIVE one once the WAL holds pages
// frames not yet checkpointed (the writer nudges it after each commit), or
// on each tick of interval when there are fewer, and a TRUNCATE one at
// stop. PASSIVE never waits on a lock, so the writer is never held by
// it; RESTART and TRUNCATE, when the WAL reaches WALLimit (see above and
// shouldEscalate), hold new writes while they finish.
type checkpointer struct {
	db       *sql.DB
	w        *writer
	walPath  string
	pages    int64
	interval time.Duration
	walLimit int64
	pageSize int64
	stats    checkpointStats

	stalled     int    // PASSIVE checkpoints in a row that could not finish
	lastCommits uint64 // the writer's commit count at the previous tick
	escalatedAt uint64 // the writer's commit count at the last escalation
	escalated   bool   // there was one

	truncates chan chan error // Backend.Checkpoint's requests
	quit      chan struct{}
	done      chan struct{}
	once      sync.Once
}

func startCheckpointer(db *sql.DB, w *writer, path string, opts Options) *checkpointer {
	c := &checkpointer{db: db, w: w, walPath: path + "-wal",
		pages:    int64(max(opts.CheckpointPages, 1)),
		interval: opts.CheckpointInterval, walLimit: opts.WALLimit,
		truncates: make(chan chan error), quit: make(chan struct{}), done: make(chan struct{})}
	go c.loop()
	return c
}

// stop ends the loop after a last TRUNCATE checkpoint and waits for it.
// The writer must be stopped first, so that the checkpoint has every write.
func (c *checkpointer) stop() {
	c.once.Do(func() { close(c.quit) })
	<-c.done
}

func (c *checkpointer) loop() {
	defer close(c.done)
	tick := time.NewTicker(c.interval)
	defer tick.Stop()
	c.readPageSize()
	c.onTick() // what the last run or the migrations left in the WAL
	for {
		select {
		case <-c.w.committed:
			c.onCommit()
		case <-tick.C:
			c.onTick()
		case res := <-c.truncates:
			_, err := c.run("TRUNCATE")
			res <- err
		case <-c.quit:
			c.run("TRUNCATE")
			return
		}
	}
}

// truncate runs a TRUNCATE checkpoint between the checkpointer's passes
// (two checkpoints at once: one would give up at once, busy).
func (c *checkpointer) truncate(ctx context.Context) error {
	res := make(chan error, 1)
	select {
	case c.truncates <- res:
	case <-c.done:
		return errClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-res:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// onCommit checkpoints once the WAL holds pages frames not checkpointed.
func (c *checkpointer) onCommit() {
	if c.w.commits.Load()%16 != 0 { // a NOOP costs a lock of the WAL index: look every 16 commits
		return
	}
	if r, err := c.run("NOOP"); err == nil && r.pending() >= c.pages {
		c.pass(false)
	}
}

// onTick checkpoints whatever the WAL holds that isn't checkpointed yet;
// the writer is idle if it committed nothing since the previous tick and
// has no write under way or queued.
func (c *checkpointer) onTick() {
	commits := c.w.commits.Load()
	idle := commits == c.lastCommits && !c.w.busy()
	c.lastCommits = commits
	if r, err := c.run("NOOP"); err == nil && (idle && r.pending() > 0 || r.pending() >= c.pages || c.stalled > 0) {
		c.pass(idle)
	}
}

// pass runs a PASSIVE checkpoint, and a TRUNCATE one when PASSIVE keeps
// stalling on readers while the WAL file is over its limit (shouldEscalate).
func (c *checkpointer) pass(idle bool) {
	before := c.w.commits.Load()
	r, err := c.run("PASSIVE")
	if err != nil {
		return
	}
	c.stats.passes.Add(1)
	if c.w.commits.Load() != before {
		c.stats.overlapped.Add(1)
	}
	if r.complete() {
		c.stalled = 0
		if r.log*c.pageSize >= c.walLimit {
			c.stats.restarts.Add(1)
			c.run("RESTART")
		}
		return
	}
	c.stats.incomplete.Add(1)
	c.stalled++
	commits := c.w.commits.Load()
	wroteSince := !c.escalated || commits != c.escalatedAt
	if !shouldEscalate(c.stalled, c.walSize(), c.walLimit, idle, wroteSince) {
		return
	}
	c.stats.escalations.Add(1)
	c.stalled, c.escalated, c.escalatedAt = 0, true, commits
	c.run("TRUNCATE")
}

// run runs PRAGMA wal_checkpoint(mode) on the checkpointer's connection.
// NOOP only reads the WAL's counts (SQLite 3.51 and later).
func (c *checkpointer) run(mode string) (checkpointResult, error) {
	ctx, cancel := context.WithTimeout(context.Background(), checkpointPassTimeout)
	defer cancel()
	var r checkpointResult
	err := c.db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(`+mode+`)`).Scan(&r.busy, &r.log, &r.done)
	if err != nil {
		c.stats.errors.Add(1)
		return r, fmt.Errorf("wal checkpoint %s: %w", mode, err)
	}
	return r, nil
}

// readPageSize reads the database's page size (a WAL frame holds one).
func (c *checkpointer) readPageSize() {
	c.pageSize = 4096
	ctx, cancel := context.WithTimeout(context.Background(), checkpointPassTimeout)
	defer cancel()
	var n int64
	if err := c.db.QueryRowContext(ctx, `PRAGMA page_size`).Scan(&n); err == nil && n > 0 {
		c.pageSize = n
	}
}

// walSize is the WAL file's size in bytes; 0 when it can't be read.
func (c *checkpointer) walSize() int64 {
	fi, err := os.Stat(c.walPath)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// noAutoCheckpoint turns SQLite's automatic checkpoint off on a new
// connection (wal_autocheckpoint is a setting of the connection).
func noAutoCheckpoint(conn *sqlite3.SQLiteConn) error {
	if _, err := conn.Exec(`PRAGMA wal_autocheckpoint = 0`, nil); err != nil {
		return fmt.Errorf("wal_autocheckpoint: %w", err)
	}
	return nil
}

// connector opens connections to dsn with drv, whose ConnectHook then
// sets each one up: without a driver registered under a name of its own.
type connector struct {
	dsn string
	drv *sqlite3.SQLiteDriver
}

func (c connector) Connect(context.Context) (driver.Conn, error) { return c.drv.Open(c.dsn) }

func (c connector) Driver() driver.Driver { return c.drv }
