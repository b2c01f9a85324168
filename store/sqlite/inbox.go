package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/paysync/paysync/store"
	"github.com/paysync/paysync/store/internal/rowscan"
)

// inboxSchema is the inbox file's one table. The file holds entries for
// milliseconds, or until the next start after a crash: its schema is
// created when missing, with no migrations.
const inboxSchema = `CREATE TABLE IF NOT EXISTS inbox (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    key                  TEXT NOT NULL,
    merchant_id          TEXT NOT NULL,
    provider             TEXT NOT NULL,
    transaction_id       TEXT NOT NULL,
    provider_checkout_id TEXT NOT NULL,
    status               TEXT NOT NULL,
    content_type         TEXT NOT NULL,
    query                TEXT NOT NULL,
    body                 BLOB NOT NULL,
    received_at          INTEGER NOT NULL
)`

// InboxPath is the file of the callback inbox beside the database at path.
func InboxPath(path string) string { return path + ".inbox" }

// inbox is the callback inbox (store/inbox.go) in a SQLite file of its
// own, InboxPath, in WAL mode with synchronous=FULL like the database, and
// a writer of its own: an acknowledgement commits there, in a group of
// appends, never queued behind the database's writes (status checks,
// drains, claims), whose batches took milliseconds under load.
//
// The two files can't commit together, so an entry moves at most once by
// its key instead: the drain records it in the database in one
// transaction (notifications.inbox_key is unique), and only after that
// commit is the entry deleted here. A crash between the two leaves it
// here; the next drain takes it again and the key skips it. An entry taken
// by a drain is held, out of other takes, until the drain's transaction
// rolled back (released) or its delete here committed.
type inbox struct {
	write *sql.DB
	read  *sql.DB
	w     *writer

	mu       sync.Mutex
	held     map[int64]struct{} // taken by a drain not ended, or recorded and not deleted here yet
	toDelete []int64            // recorded, their delete not queued yet (see forget)
	flush    *time.Timer        // queues toDelete; nil when none is due
	flushing sync.WaitGroup     // a flush scheduled or running: close waits for it
	closed   bool
}

// Deletes of recorded entries are gathered: each commit here is an fsync
// on the disk the database's commits use too, and a delete need not be
// prompt (the entry is held meanwhile, and a crash only hands it over again).
const (
	inboxDeleteBatch = 256
	inboxDeleteDelay = 100 * time.Millisecond
)

func openInbox(ctx context.Context, path string, busy time.Duration) (*inbox, error) {
	dsn := func(extra string) string { return fileDSN(path, busy, extra) }
	in := &inbox{held: map[int64]struct{}{}}
	var err error
	if in.write, err = sql.Open("sqlite3", dsn("&_txlock=immediate")); err != nil {
		return nil, err
	}
	in.write.SetMaxOpenConns(1)
	in.write.SetMaxIdleConns(1)
	in.write.SetConnMaxLifetime(0)
	if _, err := in.write.ExecContext(ctx, inboxSchema); err != nil {
		in.write.Close()
		return nil, fmt.Errorf("inbox %s: %w", path, err)
	}
	if in.read, err = sql.Open("sqlite3", dsn("&_query_only=true")); err != nil {
		in.write.Close()
		return nil, err
	}
	in.read.SetMaxOpenConns(2)
	in.w = startWriter(in.write, 256)
	return in, nil
}

// close queues the gathered deletes, stops the inbox's writer after its
// queued writes, then closes it.
func (in *inbox) close() error {
	in.mu.Lock()
	in.closed = true
	if in.flush != nil && in.flush.Stop() {
		in.flushing.Done() // stopped before it ran
	}
	ids := in.toDelete
	in.toDelete = nil
	in.mu.Unlock()
	in.flushing.Wait() // one that fired has queued its deletes
	in.queueDeletes(ids)
	in.w.stop()
	return errors.Join(in.read.Close(), in.write.Close())
}

// AppendInbox implements store.Backend: the insert commits on the inbox's
// own writer, with other appends and without a savepoint.
func (b *Backend) AppendInbox(ctx context.Context, e store.InboxEntry) error {
	return b.inbox.w.submit(ctx, writeReq{done: make(chan error, 1), single: true, fn: func(t *sql.Tx) error {
		_, err := t.Exec(`INSERT INTO inbox (key, merchant_id, provider, transaction_id, provider_checkout_id, status,
			content_type, query, body, received_at) VALUES (?,?,?,?,?,?,?,?,?,?)`,
			e.InboxKey, e.MerchantID, e.Provider, e.TransactionID, e.ProviderCheckoutID, e.Status, e.ContentType, e.Query, e.Body, ms(e.ReceivedAt))
		return err
	}})
}

// CheckoutNamed implements store.Reader, with the callback match's
// statement (each branch one search of a unique index).
func (b *Backend) CheckoutNamed(ctx context.Context, n store.Notification) (bool, error) {
	var id, state string
	err := b.read.QueryRowContext(ctx, matchNotificationSQL, n.MerchantID, n.Provider, n.TransactionID, n.ProviderCheckoutID).Scan(&id, &state)
	if err == sql.ErrNoRows {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("checkout named: %w", err)
	}
	return true, nil
}

// TakeInbox implements store.Tx: it reads the inbox file, leaving out the
// entries held by another drain, and holds those it returns.
func (t *tx) TakeInbox(ctx context.Context, afterID int64, limit int) ([]store.InboxEntry, error) {
	in := t.b.inbox
	// Held across the read: an entry whose delete commits meanwhile is
	// released only after this take saw it held, never in between.
	in.mu.Lock()
	defer in.mu.Unlock()
	skip := len(in.held)
	rows, err := in.read.QueryContext(ctx, `SELECT `+rowscan.InboxColumns+` FROM inbox WHERE id > ? ORDER BY id LIMIT ?`, afterID, limit+skip)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	all, err := rowscan.Collect(rows, rowscan.ScanInbox)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, e := range all {
		if _, held := in.held[e.ID]; !held && len(out) < limit {
			in.held[e.ID] = struct{}{}
			t.inboxTaken = append(t.inboxTaken, e.ID)
			out = append(out, e)
		}
	}
	return out, nil
}

// DeleteInbox implements store.Tx: the entries are deleted from the inbox
// file once this transaction has committed (see inbox).
func (t *tx) DeleteInbox(ctx context.Context, ids []int64) error {
	t.inboxDone = append(t.inboxDone, ids...)
	return nil
}

// release gives back entries a drain took and did not record (its
// transaction rolled back).
func (in *inbox) release(ids []int64) {
	in.mu.Lock()
	defer in.mu.Unlock()
	for _, id := range ids {
		delete(in.held, id)
	}
}

// forget deletes recorded entries from the inbox file, without waiting:
// they are gathered (inboxDeleteBatch, inboxDeleteDelay) and stay held
// until their delete committed.
func (in *inbox) forget(ids []int64) {
	if len(ids) == 0 {
		return
	}
	in.queueDeletes(in.gather(ids))
}

// gather adds ids to the deletes gathered and returns a full batch to
// queue now, if there is one; otherwise it makes sure a flush is due.
func (in *inbox) gather(ids []int64) []int64 {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.closed {
		return nil // held no more: a later start takes them again, skipped by key
	}
	in.toDelete = append(in.toDelete, ids...)
	if len(in.toDelete) >= inboxDeleteBatch {
		batch := in.toDelete
		in.toDelete = nil
		return batch
	}
	if in.flush == nil { // close stops it, or waits for it
		in.flushing.Add(1)
		in.flush = time.AfterFunc(inboxDeleteDelay, func() {
			defer in.flushing.Done()
			in.mu.Lock()
			batch := in.toDelete
			in.toDelete, in.flush = nil, nil
			in.mu.Unlock()
			in.queueDeletes(batch)
		})
	}
	return nil
}

// queueDeletes queues one transaction deleting ids; they are released once
// it ended (deleted, or not: then taken again and skipped by key).
func (in *inbox) queueDeletes(ids []int64) {
	if len(ids) == 0 {
		return
	}
	err := in.w.enqueue(writeReq{done: make(chan error, 1), fn: func(t *sql.Tx) error {
		for _, id := range ids {
			if _, err := t.Exec(`DELETE FROM inbox WHERE id = ?`, id); err != nil {
				return err
			}
		}
		return nil
	}, after: func(error) { in.release(ids) }})
	if err != nil {
		in.release(ids)
	}
}
