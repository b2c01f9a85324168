package handlers

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paysync/paysync/store"
	"github.com/paysync/paysync/store/sqlite"
)

// diskFull is a real SQLite backend whose writes fail once full is set,
// as on a full disk: reads and pings still answer.
type diskFull struct {
	store.Backend
	full atomic.Bool
}

func (b *diskFull) Write(ctx context.Context, fn func(store.Tx) error) error {
	if b.full.Load() {
		return errors.New("database or disk is full")
	}
	return b.Backend.Write(ctx, fn)
}

// TestReadyzReflectsWrites: /readyz is 200 while writes commit and 503 as
// soon as they fail, though the database still answers reads.
func TestReadyzReflectsWrites(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
	b, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "t.db"), sqlite.Options{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	full := &diskFull{Backend: b}
	db, err := store.New(full, store.Options{MasterKey: bytes.Repeat([]byte{7}, 32), Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	h := setup(t, func(c *Config) { c.Store, c.Now = db, clock.Now })
	if rec := h.request(http.MethodGet, "/readyz", "", nil); rec.Code != http.StatusOK {
		t.Fatalf("GET /readyz while writes commit: %d %s", rec.Code, rec.Body)
	}
	full.full.Store(true)
	clock.Add(2 * time.Second) // past the probe's reuse of a recent success
	if rec := h.request(http.MethodGet, "/readyz", "", nil); rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("GET /readyz while every write fails: %d %s", rec.Code, rec.Body)
	}
	full.full.Store(false)
	if rec := h.request(http.MethodGet, "/readyz", "", nil); rec.Code != http.StatusOK {
		t.Fatalf("GET /readyz after writes recover: %d", rec.Code)
	}
}

// brokenInbox is a real SQLite backend whose inbox appends fail once
// broken is set (an inbox of the wrong schema, a full disk for that
// path): the probe write and the other writes still commit.
type brokenInbox struct {
	store.Backend
	broken atomic.Bool
}

func (b *brokenInbox) AppendInbox(ctx context.Context, e store.InboxEntry) error {
	if b.broken.Load() {
		return errors.New("table inbox has no column named key")
	}
	return b.Backend.AppendInbox(ctx, e)
}

// TestReadyzCoversTheInboxAppend (issue 22, point 3): when the inbox
// append fails, callbacks naming a registered checkout get 500 and /readyz
// turns 503 at once (before, it stayed 200: its probe never touched the
// inbox, and a load balancer kept sending PayUnit's callbacks here); a
// successful append brings it back.
func TestReadyzCoversTheInboxAppend(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
	b, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "t.db"), sqlite.Options{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	inbox := &brokenInbox{Backend: b}
	db, err := store.New(inbox, store.Options{MasterKey: bytes.Repeat([]byte{7}, 32), Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	h := setup(t, func(c *Config) { c.Store, c.Now = db, clock.Now })
	m, key := h.merchant()
	wantStatus(t, h.checkout(key, "Pu-READY-1", "10"), http.StatusCreated)
	wantStatus(t, h.request(http.MethodGet, "/readyz", "", nil), http.StatusOK)

	inbox.broken.Store(true)
	wantStatus(t, h.request(http.MethodPost, hookPath(m), "", `{"transaction_id":"Pu-READY-1","status":"SUCCESS"}`),
		http.StatusInternalServerError)
	if rec := h.request(http.MethodGet, "/readyz", "", nil); rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("GET /readyz while callbacks can't be appended: %d %s", rec.Code, rec.Body)
	}
	clock.Add(2 * time.Second) // a new probe write commits: still not ready
	wantStatus(t, h.request(http.MethodGet, "/readyz", "", nil), http.StatusServiceUnavailable)

	inbox.broken.Store(false)
	wantStatus(t, h.request(http.MethodPost, hookPath(m), "", `{"transaction_id":"Pu-READY-1","status":"SUCCESS"}`), http.StatusOK)
	wantStatus(t, h.request(http.MethodGet, "/readyz", "", nil), http.StatusOK)
}
