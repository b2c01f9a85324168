package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"

	"github.com/paysync/paysync/service"
)

// errClosed is returned for writes submitted after Close.
var errClosed = errors.New("store closed")

// writer owns the single write connection. Writes queue up while a commit is
// in flight and the next commit takes them all (group commit): each runs in a
// savepoint of one transaction, and each caller learns its result only after
// that transaction is durably committed. A failing write rolls back to its
// savepoint without disturbing the others in the batch.
//
// Acknowledgements have a lane of their own (writeReq.ack: the callback
// inbox's appends) and commit in batches of their own, ahead of the other
// writes: when both lanes hold writes, the writer alternates, one batch of
// every acknowledgement queued, then one batch of the others. So an
// acknowledgement waits for at most the batch in flight and its own
// (inserts only), never behind a queue of status checks, drains and
// claims; and the other writes, the drain of what was acknowledged among
// them, still get every other commit, in batches as large as before.
// (Cutting a batch of the others short as soon as an acknowledgement
// waits was measured too: under overload it starved the status checks,
// bench/RESULTS.md, issue 19.)
//
// It is a service (service.Base): Open starts it, Close stops it after the
// writes already queued have committed.
type writer struct {
	service.Base
	db       *sql.DB
	acks     chan writeReq // writeReq.ack: committed first, in batches of their own
	reqs     chan writeReq // every other write
	maxBatch int
	quit     <-chan struct{} // the run's context's Done: closed once Stop began
}

type writeReq struct {
	fn   func(*sql.Tx) error
	done chan error
	// single marks a write of one statement that can fail only with the
	// database (I/O, disk full: an append without constraints). It runs
	// without a savepoint, which in a batch cost two statements per write.
	// If it fails, the batch is rolled back with every write run in it
	// failing, none half-applied, and the writes still queued wait for the
	// next batch.
	single bool
	// ack queues the write in the acknowledgements' lane (see writer).
	ack bool
}

func newWriter(db *sql.DB, maxBatch int) *writer {
	return &writer{db: db, acks: make(chan writeReq, maxBatch), reqs: make(chan writeReq, maxBatch), maxBatch: maxBatch}
}

// Start runs the writer's loop until Stop (or ctx's end), which lets the
// writes already queued commit first.
func (w *writer) Start(ctx context.Context) {
	ctx, started, stopped, ok := w.StartInit(ctx)
	if !ok {
		return
	}
	w.quit = ctx.Done() // before any submit: Open starts the writer before it returns
	started()
	go func() {
		defer stopped()
		w.loop(ctx)
	}()
}

func (w *writer) loop(ctx context.Context) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	for {
		if r, ok := take(w.acks); ok {
			w.commitLane(w.acks, r)
		}
		if r, ok := take(w.reqs); ok {
			w.commitLane(w.reqs, r)
			continue
		}
		select { // both lanes are empty: wait for either
		case r := <-w.acks:
			w.commitLane(w.acks, r)
		case r := <-w.reqs:
			w.commitLane(w.reqs, r)
		case <-ctx.Done():
			for { // commit what was queued before Stop
				a, acks := take(w.acks)
				if acks {
					w.commitLane(w.acks, a)
				}
				o, others := take(w.reqs)
				if others {
					w.commitLane(w.reqs, o)
				}
				if !acks && !others {
					return
				}
			}
		}
	}
}

// take receives a write from lane when one waits.
func take(lane chan writeReq) (writeReq, bool) {
	select {
	case r := <-lane:
		return r, true
	default:
		return writeReq{}, false
	}
}

// commitLane commits first with the writes that follow it in lane, up to
// maxBatch. A write with nothing queued behind it runs alone, without a
// savepoint.
func (w *writer) commitLane(lane chan writeReq, first writeReq) {
	if len(lane) == 0 {
		w.run(first, nil)
		return
	}
	n := 1
	w.run(first, func() (writeReq, bool) {
		if n == w.maxBatch {
			return writeReq{}, false
		}
		r, ok := take(lane)
		n++
		return r, ok
	})
}

// commit runs a known batch in one transaction (run); the writes a broken
// batch never ran fail with errBatchAborted.
func (w *writer) commit(batch []writeReq) {
	i := 1
	var next func() (writeReq, bool)
	if len(batch) > 1 {
		next = func() (writeReq, bool) {
			if i == len(batch) {
				return writeReq{}, false
			}
			i++
			return batch[i-1], true
		}
	}
	w.run(batch[0], next)
	for _, r := range batch[i:] {
		r.done <- errBatchAborted
	}
}

// run runs first, then each write next hands it until it has no more, in
// one transaction, each in a savepoint (a single write without), and gives
// each its outcome once the transaction ended. With next nil, first runs
// alone, without a savepoint: if it fails, the transaction is rolled back.
// A write that breaks the transaction (see writeReq.single, and SQLite's
// whole rollbacks on disk full or I/O errors) ends the batch: it is rolled
// back and every write run in it fails.
func (w *writer) run(first writeReq, next func() (writeReq, bool)) {
	tx, err := w.db.Begin()
	if err != nil {
		first.done <- fmt.Errorf("begin: %w", err)
		return
	}
	batch := []writeReq{first}
	var errs []error
	broken := false
	if next == nil {
		errs = append(errs, runSafely(first.fn, tx))
	} else {
		for r := first; ; {
			var err error
			if r.single {
				err = runSafely(r.fn, tx)
				broken = err != nil
			} else {
				broken, err = runInSavepoint(tx, r.fn)
			}
			errs = append(errs, err)
			if broken {
				// SQLite rolled the whole transaction back (disk full, I/O
				// error): the writes before are gone with it, and a write
				// run now would commit on its own. Run none of the rest.
				break
			}
			var more bool
			if r, more = next(); !more {
				break
			}
			batch = append(batch, r)
		}
	}
	var commitErr error
	if broken || next == nil && errs[0] != nil {
		tx.Rollback()
		if broken {
			for i := range errs {
				if errs[i] == nil {
					errs[i] = errBatchAborted
				}
			}
		}
	} else if commitErr = tx.Commit(); commitErr != nil {
		commitErr = fmt.Errorf("commit: %w", commitErr)
	}
	for i, r := range batch {
		r.done <- errors.Join(errs[i], commitErr)
	}
}

// errBatchAborted is the answer of writes a failed group commit never ran.
var errBatchAborted = errors.New("write not run: the batch's transaction was rolled back")

// runInSavepoint runs fn in a savepoint of tx. broken reports that the
// savepoint could not be rolled back to or released: the transaction
// itself is gone (SQLite rolls it back whole on some errors).
func runInSavepoint(tx *sql.Tx, fn func(*sql.Tx) error) (broken bool, err error) {
	if _, err := tx.Exec(`SAVEPOINT w`); err != nil {
		return true, fmt.Errorf("savepoint: %w", err)
	}
	if err := runSafely(fn, tx); err != nil {
		if _, rerr := tx.Exec(`ROLLBACK TO w`); rerr != nil {
			return true, errors.Join(err, fmt.Errorf("rollback to savepoint: %w", rerr))
		}
		if _, rerr := tx.Exec(`RELEASE w`); rerr != nil {
			return true, errors.Join(err, fmt.Errorf("release savepoint: %w", rerr))
		}
		return false, err
	}
	if _, err := tx.Exec(`RELEASE w`); err != nil {
		return true, fmt.Errorf("release savepoint: %w", err)
	}
	return false, nil
}

// runSafely turns a panic in fn into an error so one bad write can't take
// the writer (and every waiting caller) down.
func runSafely(fn func(*sql.Tx) error, tx *sql.Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("write panicked: %v", p)
		}
	}()
	return fn(tx)
}

// exec runs fn in the writer's next transaction and returns once that
// transaction has committed (or fn failed). The context bounds only the wait
// for a place in the queue: once queued, the write runs to completion.
func (b *Backend) exec(ctx context.Context, fn func(*sql.Tx) error) error {
	return b.w.submit(ctx, writeReq{fn: fn, done: make(chan error, 1)})
}

// submit queues req and waits for its outcome (see Backend.exec).
func (w *writer) submit(ctx context.Context, req writeReq) error {
	lane := w.reqs
	if req.ack {
		lane = w.acks
	}
	select {
	case lane <- req:
	case <-w.quit:
		return errClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-req.done:
		return err
	case <-w.Stopped():
		select {
		case err := <-req.done:
			return err
		default:
			return errClosed
		}
	}
}
