package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
)

// errClosed is returned for writes submitted after Close.
var errClosed = errors.New("store closed")

// writer owns the single write connection. Writes queue up while a commit is
// in flight and the next commit takes them all (group commit): each runs in a
// savepoint of one transaction, and each caller learns its result only after
// that transaction is durably committed. A failing write rolls back to its
// savepoint without disturbing the others in the batch.
type writer struct {
	db       *sql.DB
	reqs     chan writeReq
	maxBatch int
	quit     chan struct{}
	done     chan struct{}
	once     sync.Once

	// commits counts the transactions committed; committed is signalled
	// (without blocking) after each, for the WAL's checkpointer.
	commits   atomic.Uint64
	committed chan struct{}
	inCommit  atomic.Bool // a batch is under way
}

// busy reports whether a write is under way or queued.
func (w *writer) busy() bool { return w.inCommit.Load() || len(w.reqs) > 0 }

type writeReq struct {
	fn   func(*sql.Tx) error
	done chan error
	// single marks a write of one statement that can fail only with the
	// database (I/O, disk full: an append without constraints). It runs
	// without a savepoint, which in a batch cost two statements per write.
	// If it fails, the writes after it in the batch aren't run and fail,
	// and the batch is rolled back with every write in it failing, none
	// half-applied; when it is the last of its batch, the writes before it
	// (whose savepoints were released) still commit.
	single bool
	// after, when set, is called on the writer's goroutine with the
	// write's outcome once its transaction ended (a write nobody waits for).
	after func(error)
}

// finish hands the write's outcome to its caller and its after hook.
func (r writeReq) finish(err error) {
	r.done <- err
	if r.after != nil {
		r.after(err)
	}
}

func startWriter(db *sql.DB, maxBatch int) *writer {
	w := &writer{db: db, reqs: make(chan writeReq, maxBatch), maxBatch: maxBatch,
		quit: make(chan struct{}), done: make(chan struct{}), committed: make(chan struct{}, 1)}
	go w.loop()
	return w
}

// stop waits for the queued writes to commit, then ends the loop.
func (w *writer) stop() {
	w.once.Do(func() { close(w.quit) })
	<-w.done
}

func (w *writer) loop() {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	defer close(w.done)
	for {
		select {
		case r := <-w.reqs:
			w.commit(w.gather(r))
		case <-w.quit:
			for {
				select {
				case r := <-w.reqs:
					w.commit(w.gather(r))
				default:
					return
				}
			}
		}
	}
}

// gather takes first plus whatever else is already waiting, up to maxBatch.
func (w *writer) gather(first writeReq) []writeReq {
	batch := []writeReq{first}
	for len(batch) < w.maxBatch {
		select {
		case r := <-w.reqs:
			batch = append(batch, r)
		default:
			return batch
		}
	}
	return batch
}

func (w *writer) commit(batch []writeReq) {
	w.inCommit.Store(true)
	defer w.inCommit.Store(false)
	errs := make([]error, len(batch))
	tx, err := w.db.Begin()
	if err != nil {
		for _, r := range batch {
			r.finish(fmt.Errorf("begin: %w", err))
		}
		return
	}
	if len(batch) == 1 {
		errs[0] = runSafely(batch[0].fn, tx)
	} else {
		for i, r := range batch {
			var broken bool
			if r.single {
				errs[i] = runSafely(r.fn, tx)
				broken = errs[i] != nil
			} else {
				broken, errs[i] = runInSavepoint(tx, r.fn)
			}
			if broken {
				// SQLite rolled the whole transaction back (disk full, I/O
				// error): the writes before are gone with it, and a write
				// run now would commit on its own. Run none of the rest.
				for j := i + 1; j < len(batch); j++ {
					errs[j] = errBatchAborted
				}
				break
			}
		}
	}
	var commitErr error
	if aborted := slices.ContainsFunc(errs, func(err error) bool { return errors.Is(err, errBatchAborted) }); aborted || len(batch) == 1 && errs[0] != nil {
		tx.Rollback()
		if aborted {
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
		r.finish(errors.Join(errs[i], commitErr))
	}
	if commitErr == nil && (len(batch) > 1 || errs[0] == nil) {
		w.commits.Add(1)
		select {
		case w.committed <- struct{}{}:
		default: // the checkpointer has one to see already
		}
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
	select {
	case w.reqs <- req:
	case <-w.quit:
		return errClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-req.done:
		return err
	case <-w.done:
		select {
		case err := <-req.done:
			return err
		default:
			return errClosed
		}
	}
}

// enqueue queues req without waiting for it (req.after learns the
// outcome); it returns errClosed, and req is not run, once the writer stops.
func (w *writer) enqueue(req writeReq) error {
	select {
	case w.reqs <- req:
		return nil
	case <-w.quit:
		return errClosed
	}
}
