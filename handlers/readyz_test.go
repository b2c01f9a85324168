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
