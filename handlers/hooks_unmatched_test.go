package handlers

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/paysync/paysync/store"
	"github.com/paysync/paysync/store/sqlite/sqlitetest"
)

// TestUnmatchedCallbacksBounded: anyone holding a notify URL can post
// callbacks for checkouts that will never exist; past the merchant's
// bound they get 429 with a Retry-After and are not stored, while a
// callback for a registered checkout still gets 200.
func TestUnmatchedCallbacksBounded(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
	db, err := sqlitetest.Open(context.Background(), filepath.Join(t.TempDir(), "t.db"), store.Options{
		MasterKey: bytes.Repeat([]byte{7}, 32), Now: clock.Now,
		Unmatched: store.UnmatchedLimits{Count: 100, Bytes: 1 << 20, PerWindow: 10, Window: time.Minute}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	h := setup(t, func(c *Config) { c.Store, c.Now = db, clock.Now })
	m, key := h.merchant()
	wantStatus(t, h.checkout(key, "order-1", "2500"), http.StatusCreated)
	ghost := func(i int) string {
		return fmt.Sprintf(`{"transaction_id":"ghost-%d","status":"SUCCESS","pad":%q}`, i, strings.Repeat("x", 60<<10))
	}
	accepted := 0
	var last *http.Response
	for i := range 50 {
		rec := h.request(http.MethodPost, hookPath(m), "", ghost(i))
		if rec.Code == http.StatusOK {
			accepted++
			continue
		}
		wantProblem(t, rec, http.StatusTooManyRequests, "too-many-requests")
		last = rec.Result()
		break
	}
	if accepted != 10 || last == nil {
		t.Fatalf("%d unmatched callbacks of 60 KiB accepted before a refusal, want 10", accepted)
	}
	if ra := last.Header.Get("Retry-After"); ra != "60" {
		t.Errorf("Retry-After %q, want 60", ra)
	}
	rec := h.request(http.MethodPost, hookPath(m), "", `{"transaction_id":"order-1","status":"SUCCESS"}`)
	wantStatus(t, rec, http.StatusOK)
	t.Logf("flood: %d of 60 KiB stored (%d KiB), then 429 Retry-After %s", accepted, accepted*60, last.Header.Get("Retry-After"))
}
