package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paysync/paysync/internal/testwait"
	"github.com/paysync/paysync/store"
)

func TestGroupCommitConcurrentNotifications(t *testing.T) {
	db := newTestDB(t, newFakeClock().Now)
	ctx := context.Background()
	m := newTestMerchant(t, db)
	const n = 200
	var wg sync.WaitGroup
	errs := make([]error, n)
	recs := make([]store.RecordedNotification, n)
	for i := range n {
		wg.Go(func() {
			recs[i], errs[i] = db.RecordNotification(ctx, store.Notification{MerchantID: m.ID, Provider: store.ProviderPayUnit,
				TransactionID: fmt.Sprint("txn-", i), Body: []byte(fmt.Sprint(i))})
		})
	}
	wg.Wait()
	seen := map[int64]bool{}
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("RecordNotification %d: %v", i, errs[i])
		}
		if seen[recs[i].ID] {
			t.Fatalf("id %d returned twice", recs[i].ID)
		}
		seen[recs[i].ID] = true
	}
	// Every acknowledged row is there, with its own body.
	rows, err := db.read.Query(`SELECT id, transaction_id, body FROM notifications`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	count := 0
	for rows.Next() {
		var id int64
		var txn, body string
		if err := rows.Scan(&id, &txn, &body); err != nil {
			t.Fatal(err)
		}
		if !seen[id] || txn != "txn-"+body {
			t.Errorf("row %d: txn %q body %q", id, txn, body)
		}
		count++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if count != n {
		t.Fatalf("%d notifications stored, want %d", count, n)
	}
}

// holdWriter makes the writer run a write that waits for release, so the
// writes submitted meanwhile queue up and are committed as one batch.
func holdWriter(t *testing.T, db *testDB) (release func(), held <-chan error) {
	t.Helper()
	started := make(chan struct{})
	gate := make(chan struct{})
	res := make(chan error, 1)
	go func() {
		res <- db.exec(context.Background(), func(tx *sql.Tx) error {
			close(started)
			<-gate
			return nil
		})
	}()
	<-started
	return func() { close(gate) }, res
}

func insertProbe(tx *sql.Tx, name string) error {
	_, err := tx.Exec(`INSERT INTO schema_migrations (name, applied_at) VALUES (?, 0)`, "probe-"+name)
	return err
}

func probeExists(t *testing.T, db *testDB, name string) bool {
	t.Helper()
	var n int
	if err := db.read.QueryRow(`SELECT count(*) FROM schema_migrations WHERE name = ?`, "probe-"+name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n == 1
}

// TestGroupCommitFailingWriteIsolated queues good writes, failing writes
// (after writing something) and a panicking write behind a held writer, so
// they share one transaction; only the good ones' rows must survive.
func TestGroupCommitFailingWriteIsolated(t *testing.T) {
	db := newTestDB(t, newFakeClock().Now)
	ctx := context.Background()
	release, held := holdWriter(t, db)

	const n = 60
	errBad := errors.New("bad write")
	kind := func(i int) string { return [...]string{"good", "bad", "good", "panic", "constraint"}[i%5] }
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			name := fmt.Sprint(i)
			errs[i] = db.exec(ctx, func(tx *sql.Tx) error {
				if err := insertProbe(tx, name); err != nil {
					return err
				}
				switch kind(i) {
				case "bad":
					return errBad
				case "panic":
					panic("boom")
				case "constraint":
					return insertProbe(tx, name) // duplicate key
				}
				return nil
			})
		})
	}
	testwait.For(t, "all writes queued", func() bool { return len(db.b.w.reqs) == n })
	release()
	wg.Wait()
	if err := <-held; err != nil {
		t.Fatalf("held write: %v", err)
	}
	for i := range n {
		name := fmt.Sprint(i)
		switch kind(i) {
		case "good":
			if errs[i] != nil || !probeExists(t, db, name) {
				t.Errorf("good write %d: err %v, stored %v", i, errs[i], probeExists(t, db, name))
			}
		case "bad":
			if !errors.Is(errs[i], errBad) || probeExists(t, db, name) {
				t.Errorf("bad write %d: err %v, stored %v; want errBad and nothing stored", i, errs[i], probeExists(t, db, name))
			}
		default:
			if errs[i] == nil || probeExists(t, db, name) {
				t.Errorf("%s write %d: err %v, stored %v; want an error and nothing stored", kind(i), i, errs[i], probeExists(t, db, name))
			}
		}
	}
}

// The same, driving commit directly with a known batch.
func TestWriterCommitBatch(t *testing.T) {
	db := newTestDB(t, newFakeClock().Now)
	release, held := holdWriter(t, db) // keep the loop out of the way
	w := &writer{db: db.write, maxBatch: 8}
	dones := make([]chan error, 4)
	var batch []writeReq
	for i, fn := range []func(*sql.Tx) error{
		func(tx *sql.Tx) error { return insertProbe(tx, "a") },
		func(tx *sql.Tx) error { insertProbe(tx, "b"); return errors.New("b fails") },
		func(tx *sql.Tx) error { return insertProbe(tx, "c") },
		func(tx *sql.Tx) error { insertProbe(tx, "d"); panic("d panics") },
	} {
		dones[i] = make(chan error, 1)
		batch = append(batch, writeReq{fn: fn, done: dones[i]})
	}
	// The held write owns the single connection: commit runs once it is released.
	committed := make(chan struct{})
	go func() { w.commit(batch); close(committed) }()
	release()
	if err := <-held; err != nil {
		t.Fatal(err)
	}
	<-committed
	for i, want := range []bool{true, false, true, false} {
		err := <-dones[i]
		name := string(rune('a' + i))
		if (err == nil) != want || probeExists(t, db, name) != want {
			t.Errorf("write %s: err %v, stored %v; want success %v", name, err, probeExists(t, db, name), want)
		}
	}
}

func TestWriterSingleFailingWriteRollsBack(t *testing.T) {
	db := newTestDB(t, newFakeClock().Now)
	err := db.exec(context.Background(), func(tx *sql.Tx) error {
		insertProbe(tx, "alone")
		return errors.New("nope")
	})
	if err == nil || probeExists(t, db, "alone") {
		t.Fatalf("err %v, stored %v; want an error and nothing stored", err, probeExists(t, db, "alone"))
	}
	if err := db.exec(context.Background(), func(tx *sql.Tx) error { panic("alone") }); err == nil {
		t.Fatal("panicking write returned nil")
	}
	// The writer still works.
	if err := db.exec(context.Background(), func(tx *sql.Tx) error { return insertProbe(tx, "after") }); err != nil || !probeExists(t, db, "after") {
		t.Fatalf("write after failures: %v", err)
	}
}

func TestExecAfterCloseFails(t *testing.T) {
	db := newTestDB(t, newFakeClock().Now)
	m := newTestMerchant(t, db)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// exec's select picks at random among ready cases: try many times.
	for i := range 200 {
		err := db.exec(ctx, func(tx *sql.Tx) error { return nil })
		if !errors.Is(err, errClosed) {
			t.Fatalf("exec %d after Close = %v, want errClosed", i, err)
		}
	}
	if _, err := db.RecordNotification(ctx, store.Notification{MerchantID: m.ID, Provider: store.ProviderPayUnit}); !errors.Is(err, errClosed) {
		t.Fatalf("RecordNotification after Close = %v, want errClosed", err)
	}
	if ctx.Err() != nil {
		t.Fatal("exec after Close waited for the context instead of failing")
	}
}

// Close lets a queued write commit before the writer ends.
func TestCloseDrainsQueuedWrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "paysync.db")
	db := openTestDB(t, path, store.Options{Now: newFakeClock().Now})
	release, held := holdWriter(t, db)
	queued := make(chan error, 1)
	go func() {
		queued <- db.exec(context.Background(), func(tx *sql.Tx) error { return insertProbe(tx, "queued") })
	}()
	testwait.For(t, "write queued", func() bool { return len(db.b.w.reqs) == 1 })
	closed := make(chan error, 1)
	go func() { closed <- db.Close() }()
	testwait.Signal(t, "close started", db.b.w.quit)
	release()
	if err := <-held; err != nil {
		t.Fatal(err)
	}
	if err := <-queued; err != nil {
		t.Fatalf("write queued before Close: %v", err)
	}
	if err := <-closed; err != nil {
		t.Fatalf("Close: %v", err)
	}
	// Read the file again to see the write is durable.
	db2 := openTestDB(t, path, store.Options{})
	if !probeExists(t, db2, "queued") {
		t.Fatal("write acknowledged before Close is not in the database")
	}
}

func TestExecContextBoundsOnlyTheQueueWait(t *testing.T) {
	db := newTestDB(t, newFakeClock().Now)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	// With a free queue slot the write may still be taken; with a held writer
	// and a full queue, a cancelled context returns at once.
	release, held := holdWriter(t, db)
	defer func() { release(); <-held }()
	var wg sync.WaitGroup
	for range cap(db.b.w.reqs) {
		wg.Go(func() { db.exec(context.Background(), func(tx *sql.Tx) error { return nil }) })
	}
	testwait.For(t, "queue full", func() bool { return len(db.b.w.reqs) == cap(db.b.w.reqs) })
	if err := db.exec(ctx, func(tx *sql.Tx) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Fatalf("exec with a cancelled context and a full queue = %v, want context.Canceled", err)
	}
	release()
	release = func() {}
	wg.Wait()
}

// A single-statement write runs without a savepoint: beside others it
// commits with them, and when it fails the whole batch is rolled back and
// every write in it fails, none half-applied.
func TestWriterSingleWritesInBatch(t *testing.T) {
	db := newTestDB(t, newFakeClock().Now)
	run := func(batch []writeReq) []error {
		t.Helper()
		release, held := holdWriter(t, db)
		w := &writer{db: db.write, maxBatch: 8}
		committed := make(chan struct{})
		go func() { w.commit(batch); close(committed) }()
		release()
		if err := <-held; err != nil {
			t.Fatal(err)
		}
		<-committed
		errs := make([]error, len(batch))
		for i, r := range batch {
			errs[i] = <-r.done
		}
		return errs
	}
	req := func(single bool, fn func(*sql.Tx) error) writeReq {
		return writeReq{fn: fn, done: make(chan error, 1), single: single}
	}
	errs := run([]writeReq{
		req(false, func(tx *sql.Tx) error { return insertProbe(tx, "s1") }),
		req(true, func(tx *sql.Tx) error { return insertProbe(tx, "s2") }),
		req(true, func(tx *sql.Tx) error { return insertProbe(tx, "s3") }),
	})
	for i, name := range []string{"s1", "s2", "s3"} {
		if errs[i] != nil || !probeExists(t, db, name) {
			t.Errorf("write %s: err %v, stored %v; want committed", name, errs[i], probeExists(t, db, name))
		}
	}
	errs = run([]writeReq{
		req(false, func(tx *sql.Tx) error { return insertProbe(tx, "f1") }),
		req(true, func(tx *sql.Tx) error { _, err := tx.Exec(`INSERT INTO no_such_table VALUES (1)`); return err }),
		req(true, func(tx *sql.Tx) error { return insertProbe(tx, "f3") }),
	})
	for i, name := range []string{"f1", "", "f3"} {
		if errs[i] == nil {
			t.Errorf("write %d of a batch with a failed single write succeeded", i)
		}
		if name != "" && probeExists(t, db, name) {
			t.Errorf("write %s stored although its batch was rolled back", name)
		}
	}
}

// The writer commits acknowledgements in batches of their own, ahead of
// the other writes queued, and alternates when both lanes hold writes.
func TestWriterCommitsAcknowledgementsFirst(t *testing.T) {
	db := newTestDB(t, newFakeClock().Now)
	release, held := holdWriter(t, db)
	var order []string // appended on the writer's goroutine only
	write := func(name string, ack bool) <-chan error {
		errc := make(chan error, 1)
		go func() {
			errc <- db.b.w.submit(context.Background(), writeReq{ack: ack, single: ack, done: make(chan error, 1), fn: func(*sql.Tx) error {
				order = append(order, name)
				return nil
			}})
		}()
		return errc
	}
	var done []<-chan error
	for i := range 3 {
		done = append(done, write(fmt.Sprint("w", i), false))
		testwait.For(t, "the write queued", func() bool { return len(db.b.w.reqs) == i+1 })
	}
	for i := range 2 {
		done = append(done, write(fmt.Sprint("a", i), true))
		testwait.For(t, "the acknowledgement queued", func() bool { return len(db.b.w.acks) == i+1 })
	}
	release()
	if err := <-held; err != nil {
		t.Fatal(err)
	}
	for _, errc := range done {
		if err := testwait.Signal(t, "a write's outcome", errc); err != nil {
			t.Fatal(err)
		}
	}
	if got := strings.Join(order, " "); got != "a0 a1 w0 w1 w2" {
		t.Fatalf("writes ran in the order %s; want the acknowledgements first", got)
	}
}
