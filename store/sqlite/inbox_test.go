package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/paysync/paysync/store"
)

// inboxRows returns what the inbox table holds.
func inboxRows(t *testing.T, db *testDB) []store.InboxEntry {
	t.Helper()
	var out []store.InboxEntry
	if err := db.b.Write(context.Background(), func(tx store.Tx) (err error) {
		out, err = tx.TakeInbox(context.Background(), 0, 1000)
		return errRollback // a look only
	}); !errors.Is(err, errRollback) {
		t.Fatal(err)
	}
	return out
}

// errRollback makes a write roll back.
var errRollback = errors.New("look only")

// callbackEvents counts the checkout's notifications and callback events.
func callbackEvents(t *testing.T, db *testDB, checkoutID string) (notifications, events int) {
	t.Helper()
	tl, err := db.CheckoutTimeline(context.Background(), store.OperatorScope(), checkoutID)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range tl.Events {
		if ev.Type == store.EventCallbackReceived {
			events++
		}
	}
	return len(tl.Notifications), events
}

// TakeInbox and DeleteInbox are part of the transaction they are called
// in: a drain's transaction that rolls back leaves its entries in the
// inbox, with nothing recorded; one that commits records and deletes them
// together.
func TestInboxTakeAndDeleteAreTransactional(t *testing.T) {
	ctx := context.Background()
	clock := newFakeClock()
	db := newTestDB(t, clock.Now)
	m := newTestMerchant(t, db)
	c := mustRegister(t, db, newPayUnitCheckout(m, "tx-1", clock.Now().Add(time.Hour)))
	if acc, err := db.AcceptNotification(ctx, store.Notification{MerchantID: m.ID, Provider: store.ProviderPayUnit,
		TransactionID: "tx-1", Status: "SUCCESS", Body: []byte(`{}`)}); err != nil || !acc.Queued {
		t.Fatalf("accept = %+v, %v", acc, err)
	}
	errLater := errors.New("a later write of the drain fails")
	err := db.b.Write(ctx, func(tx store.Tx) error {
		entries, err := tx.TakeInbox(ctx, 0, 10)
		if err != nil || len(entries) != 1 {
			t.Fatalf("take = %+v, %v", entries, err)
		}
		if err := tx.DeleteInbox(ctx, []int64{entries[0].ID}); err != nil {
			t.Fatal(err)
		}
		if left, err := tx.TakeInbox(ctx, 0, 10); err != nil || len(left) != 0 {
			t.Fatalf("take after the delete, in the same transaction = %+v, %v; want nothing", left, err)
		}
		return errLater
	})
	if !errors.Is(err, errLater) {
		t.Fatalf("write = %v", err)
	}
	if left := inboxRows(t, db); len(left) != 1 || left[0].InboxKey == "" {
		t.Fatalf("after the rollback the inbox holds %+v; want the entry back, with its key", left)
	}
	if d, err := db.DrainInbox(ctx, 0, 10); err != nil || d.N != 1 || !d.Woke {
		t.Fatalf("drain = %+v, %v", d, err)
	}
	if left := inboxRows(t, db); len(left) != 0 {
		t.Fatalf("after the drain the inbox holds %+v", left)
	}
	if n, ev := callbackEvents(t, db, c.ID); n != 1 || ev != 1 {
		t.Fatalf("%d notifications, %d callback events; want 1 and 1", n, ev)
	}
}

// legacyInboxSchema is the inbox file's table as versions before
// 0012_inbox.sql created it (their store/sqlite/inbox.go).
const legacyInboxSchema = `CREATE TABLE IF NOT EXISTS inbox (
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

// writeLegacyInbox creates the inbox file beside the database at path the
// way earlier versions did (WAL, synchronous=FULL, the schema created at
// open) and appends entries to it. keep leaves a connection open until
// the end of the test, so the entries stay in the file's -wal, as a
// killed process leaves them.
func writeLegacyInbox(t *testing.T, path string, keep bool, entries ...store.InboxEntry) {
	t.Helper()
	old, err := sql.Open("sqlite3", fileDSN(legacyInboxPath(path), 5*time.Second, "&_txlock=immediate"))
	if err != nil {
		t.Fatal(err)
	}
	old.SetMaxOpenConns(1)
	if _, err := old.Exec(legacyInboxSchema); err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if _, err := old.Exec(`INSERT INTO inbox (key, merchant_id, provider, transaction_id, provider_checkout_id, status,
			content_type, query, body, received_at) VALUES (?,?,?,?,?,?,?,?,?,?)`,
			e.InboxKey, e.MerchantID, e.Provider, e.TransactionID, e.ProviderCheckoutID, e.Status, e.ContentType, e.Query, e.Body, ms(e.ReceivedAt)); err != nil {
			t.Fatal(err)
		}
	}
	if keep {
		t.Cleanup(func() { old.Close() })
		return
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}
}

// The upgrade: a database from the version with the inbox in a file of
// its own, with undrained entries there (one of them recorded already: a
// crash between the old drain's commit and its delete). Open moves them
// into the inbox table and removes the file; the drain records each once.
func TestLegacyInboxFileIsMovedIntoTheDatabase(t *testing.T) {
	for _, inWAL := range []bool{false, true} {
		name := map[bool]string{false: "checkpointed", true: "in its -wal"}[inWAL]
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			clock := newFakeClock()
			path := filepath.Join(t.TempDir(), "paysync.db")
			db := openTestDB(t, path, store.Options{MasterKey: testMasterKey, Now: clock.Now})
			m := newTestMerchant(t, db)
			c := mustRegister(t, db, newPayUnitCheckout(m, "old-1", clock.Now().Add(time.Hour)))
			n := store.Notification{MerchantID: m.ID, Provider: store.ProviderPayUnit, TransactionID: "old-1",
				Status: "SUCCESS", ContentType: "application/json", Body: []byte(`{"transaction_id":"old-1"}`)}
			if _, err := db.AcceptNotification(ctx, n); err != nil {
				t.Fatal(err)
			}
			if d, err := db.DrainInbox(ctx, 0, 10); err != nil || d.N != 1 {
				t.Fatalf("drain = %+v, %v", d, err)
			}
			var recordedKey string
			if err := db.read.QueryRow(`SELECT inbox_key FROM notifications`).Scan(&recordedKey); err != nil {
				t.Fatal(err)
			}
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}

			recorded, fresh := n, n
			recorded.InboxKey, fresh.InboxKey = recordedKey, "k-fresh"
			fresh.Body = []byte(`{"transaction_id":"old-1","again":true}`) // an identical one would fold into the first
			writeLegacyInbox(t, path, inWAL,
				store.InboxEntry{Notification: recorded, ReceivedAt: clock.Now()},
				store.InboxEntry{Notification: fresh, ReceivedAt: clock.Now().Add(time.Second)})
			if inWAL {
				if _, err := os.Stat(legacyInboxPath(path) + "-wal"); err != nil {
					t.Fatalf("the old inbox's -wal: %v", err)
				}
			}

			db = openTestDB(t, path, store.Options{MasterKey: testMasterKey, Now: clock.Now})
			for _, f := range []string{"", "-wal", "-shm"} {
				if _, err := os.Stat(legacyInboxPath(path) + f); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("the old inbox file%s is still there (%v)", f, err)
				}
			}
			moved := inboxRows(t, db)
			if len(moved) != 2 || moved[0].InboxKey != recordedKey || moved[1].InboxKey != "k-fresh" ||
				string(moved[1].Body) != string(fresh.Body) || !moved[1].ReceivedAt.Equal(clock.Now().Add(time.Second)) {
				t.Fatalf("moved entries = %+v", moved)
			}
			if d, err := db.DrainInbox(ctx, 0, 10); err != nil || d.N != 2 {
				t.Fatalf("drain of the moved entries = %+v, %v", d, err)
			}
			if n, ev := callbackEvents(t, db, c.ID); n != 2 || ev != 2 {
				t.Fatalf("%d notifications, %d callback events; want 2 and 2 (the recorded entry skipped by its key)", n, ev)
			}
		})
	}
}

// An old inbox file that can't be read refuses the start, naming it, and
// stays where it is: a damaged page, a garbage header, another schema, a
// -wal without its file. Nothing acknowledged is dropped silently.
func TestDamagedLegacyInboxRefusesToStart(t *testing.T) {
	entry := store.InboxEntry{ReceivedAt: time.UnixMilli(1), Notification: store.Notification{MerchantID: "m", Provider: "payunit",
		TransactionID: "t", InboxKey: "k", Body: []byte(strings.Repeat("x", 3000))}}
	cases := map[string]func(t *testing.T, path string){
		"a damaged page": func(t *testing.T, path string) {
			entries := make([]store.InboxEntry, 40) // several pages of entries
			for i := range entries {
				entries[i] = entry
			}
			writeLegacyInbox(t, path, false, entries...)
			damage(t, legacyInboxPath(path), 0.6)
		},
		"a garbage header": func(t *testing.T, path string) {
			writeLegacyInbox(t, path, false, entry)
			damage(t, legacyInboxPath(path), 0)
		},
		"another schema": func(t *testing.T, path string) {
			other, err := sql.Open("sqlite3", fileDSN(legacyInboxPath(path), time.Second, ""))
			if err != nil {
				t.Fatal(err)
			}
			defer other.Close()
			if _, err := other.Exec(`CREATE TABLE something (x)`); err != nil {
				t.Fatal(err)
			}
		},
		"a -wal without its file": func(t *testing.T, path string) {
			if err := os.WriteFile(legacyInboxPath(path)+"-wal", []byte("frames"), 0o600); err != nil {
				t.Fatal(err)
			}
		},
	}
	for name, prepare := range cases {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "paysync.db")
			prepare(t, path)
			_, err := Open(context.Background(), path, Options{})
			if !errors.Is(err, errLegacyInbox) || !strings.Contains(err.Error(), legacyInboxPath(path)) {
				t.Fatalf("Open = %v; want errLegacyInbox naming %s", err, legacyInboxPath(path))
			}
			left := legacyInboxPath(path)
			if name == "a -wal without its file" {
				left += "-wal"
			}
			if _, err := os.Stat(left); err != nil {
				t.Fatalf("the old inbox was removed: %v", err)
			}
		})
	}
}

// damage overwrites 4 KiB of the file at path, at the fraction at of its
// size (0: its header).
func damage(t *testing.T, path string, at float64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	off := int64(float64(st.Size())*at) &^ 4095
	if _, err := f.WriteAt([]byte(strings.Repeat("\xa5", 4096)), off); err != nil {
		t.Fatal(err)
	}
}

// Backup refuses a database with an old inbox file beside it (not moved
// yet), rather than copy the database without it.
func TestBackupRefusesALegacyInboxBeside(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "paysync.db")
	db := openTestDB(t, path, store.Options{MasterKey: testMasterKey})
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	writeLegacyInbox(t, path, false)
	err := Backup(context.Background(), path, filepath.Join(dir, "copy.db"))
	if err == nil || !strings.Contains(err.Error(), legacyInboxPath(path)) {
		t.Fatalf("Backup = %v; want a refusal naming %s", err, legacyInboxPath(path))
	}
	if _, err := os.Stat(filepath.Join(dir, "copy.db")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a copy was written: %v", err)
	}
}
