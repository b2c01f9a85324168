package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/paysync/paysync/store"
)

// cachedHarness is a harness whose router serves reads from the cache
// (ReadsFromFeed), beside plain: a router on the same store without it,
// the reference for what a read must answer.
func cachedHarness(t *testing.T, size int) (*harness, *echo.Echo) {
	t.Helper()
	var base Config
	h := setup(t, func(c *Config) {
		base = *c
		c.Reads, c.ReadCacheSize = ReadsFromFeed, size
	})
	plain, err := New(base)
	if err != nil {
		t.Fatal(err)
	}
	return h, plain
}

// read GETs the checkout through both routers, fails unless the cached
// one answers exactly as the uncached one (status, body, ETag,
// Retry-After, Cache-Control), and returns the body.
func (h *harness) read(plain *echo.Echo, key, id string) string {
	h.t.Helper()
	got := h.request(http.MethodGet, "/v1/checkouts/"+id, key, nil)
	req := httptest.NewRequest(http.MethodGet, "/v1/checkouts/"+id, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	want := httptest.NewRecorder()
	plain.ServeHTTP(want, req)
	if got.Code != want.Code || got.Body.String() != want.Body.String() {
		h.t.Fatalf("cached read = %d %s\nwant %d %s", got.Code, got.Body, want.Code, want.Body)
	}
	for _, name := range []string{"ETag", "Retry-After", "Cache-Control", "Content-Type"} {
		if got.Header().Get(name) != want.Header().Get(name) {
			h.t.Fatalf("cached read's %s = %q, want %q", name, got.Header().Get(name), want.Header().Get(name))
		}
	}
	return got.Body.String()
}

// TestCachedReadAfterEveryChange: after each kind of write, those that
// keep the version included (a callback's callback_received_at and wake,
// a refresh, a browser return, a claim's lease, the retention sweep's
// history_purged_at, a provider_ref learned by a repeated registration),
// a read answers what the row says, byte for byte, with its ETag and a
// Retry-After computed at the time of the read.
func TestCachedReadAfterEveryChange(t *testing.T) {
	h, plain := cachedHarness(t, 0)
	m, key := h.merchant()
	created := decode(t, h.checkout(key, "Pu-cache", "10"))
	id := created["id"].(string)
	token := strings.TrimSuffix(strings.TrimPrefix(created["return_url"].(string), "http://paysync.test/pay/"), "/return")
	ctx := context.Background()
	last := h.read(plain, key, id)
	changed := func(write string) {
		t.Helper()
		body := h.read(plain, key, id)
		if body == last {
			t.Fatalf("after %s the body did not change: the step proves nothing", write)
		}
		last = h.read(plain, key, id) // from the cache now
	}

	h.clock.Add(3 * time.Second)
	if got := h.read(plain, key, id); got != last {
		t.Fatal("the body changed with the clock alone")
	} // Retry-After compared: computed now, from next_check_at

	wantStatus(t, h.request(http.MethodPost, hookPath(m), "", map[string]any{"transaction_id": "Pu-cache", "status": "SUCCESS"}), http.StatusOK)
	changed("a callback (callback_received_at, wake)")

	h.clock.Add(time.Second)
	wantStatus(t, h.request(http.MethodPost, "/v1/checkouts/"+id+"/refresh", key, nil), http.StatusAccepted)
	changed("a refresh (wake)")

	h.clock.Add(time.Hour)
	if rec := h.request(http.MethodGet, "/pay/"+token+"/return", "", nil); rec.Code >= 400 {
		t.Fatalf("browser return: %d %s", rec.Code, rec.Body)
	}
	changed("a browser return (wake)")

	if _, err := h.db.ClaimDue(ctx, 10, time.Minute); err != nil {
		t.Fatal(err)
	}
	changed("a claim (lease in next_check_at)")

	wantStatus(t, h.request(http.MethodPost, "/v1/checkouts", key, map[string]any{"provider": "payunit",
		"reference": "Pu-cache", "provider_ref": "PU_learned", "amount": "10", "currency": "XAF"}), http.StatusOK)
	changed("a provider_ref learned by a repeated registration")

	h.clock.Add(2 * time.Minute)
	h.check(store.StateSucceeded, "SUCCESS")
	changed("a verdict (Apply)")

	h.clock.Add(2160*time.Hour + time.Hour)
	if _, err := h.db.Sweep(ctx, store.Retention{Settled: 2160 * time.Hour}); err != nil {
		t.Fatal(err)
	}
	changed("the retention sweep (history_purged_at)")

	if rec := h.request(http.MethodGet, "/v1/checkouts/"+id, key, nil, "If-None-Match", h.request(http.MethodGet, "/v1/checkouts/"+id, key, nil).Header().Get("ETag")); rec.Code != http.StatusNotModified {
		t.Fatalf("If-None-Match of the current ETag = %d, want 304", rec.Code)
	}
	if rec := h.request(http.MethodHead, "/v1/checkouts/"+id, key, nil); rec.Code != http.StatusOK || rec.Body.Len() != 0 {
		t.Fatalf("HEAD = %d with %d bytes", rec.Code, rec.Body.Len())
	}
}

// TestCachedReadOtherMerchant: a checkout cached for its merchant is 404
// for another, exactly like an unknown id, before and after the owner's
// reads.
func TestCachedReadOtherMerchant(t *testing.T) {
	h, plain := cachedHarness(t, 0)
	_, owner := h.merchant()
	_, other := h.merchant()
	id := decode(t, h.checkout(owner, "Pu-mine", "10"))["id"].(string)
	unknown := h.request(http.MethodGet, "/v1/checkouts/chk_unknown", other, nil)
	for range 2 {
		h.read(plain, owner, id) // cached from the first time
		rec := h.request(http.MethodGet, "/v1/checkouts/"+id, other, nil)
		wantProblem(t, rec, http.StatusNotFound, "not-found")
		if rec.Body.String() != unknown.Body.String() || rec.Header().Get("ETag") != "" {
			t.Fatalf("another merchant's checkout = %s (ETag %q), want the unknown id's %s", rec.Body, rec.Header().Get("ETag"), unknown.Body)
		}
	}
}

// TestCachedReadsBeyondTheBound: with more checkouts read than the cache
// holds, every read stays right.
func TestCachedReadsBeyondTheBound(t *testing.T) {
	h, plain := cachedHarness(t, cacheShards) // one entry per shard
	_, key := h.merchant()
	var ids []string
	for i := range 3 * cacheShards {
		ids = append(ids, decode(t, h.checkout(key, fmt.Sprintf("Pu-%d", i), "10"))["id"].(string))
	}
	for range 2 {
		for _, id := range ids {
			h.read(plain, key, id)
		}
	}
}

// encodedAt is a cache entry of checkout id at rev for merchant.
func encodedAt(merchant, id string, rev int64) *cachedCheckout {
	return &cachedCheckout{merchantID: merchant, rev: rev, body: []byte(fmt.Sprintf(`{"id":%q,"rev":%d}`, id, rev))}
}

func fakeEncode(c store.Checkout) (*cachedCheckout, error) {
	return encodedAt(c.MerchantID, c.ID, c.Rev), nil
}

// TestCheckoutCacheBound: the cache never holds more than its size, and
// the entry just filled is there.
func TestCheckoutCacheBound(t *testing.T) {
	const size = 4 * cacheShards
	c := newCheckoutCache(size, fakeEncode)
	for i := range 50 * size {
		id := fmt.Sprintf("chk_%d", i)
		c.put(id, c.gen(id), encodedAt("m", id, 1))
		if _, ok := c.get("m", id); !ok {
			t.Fatalf("%s not cached right after its fill", id)
		}
		if n := c.len(); n > size {
			t.Fatalf("%d entries, bound %d", n, size)
		}
	}
}

// TestCheckoutCacheFeed: a newer snapshot replaces an entry, an older one
// doesn't, a touch drops it, and a fill read before any of them is
// refused (it may predate the change); another merchant's lookup misses.
func TestCheckoutCacheFeed(t *testing.T) {
	c := newCheckoutCache(100, fakeEncode)
	gen := c.gen("chk_1")
	c.put("chk_1", gen, encodedAt("m", "chk_1", 3))
	if _, ok := c.get("other", "chk_1"); ok {
		t.Fatal("another merchant got the entry")
	}
	c.Published(store.Checkout{ID: "chk_1", MerchantID: "m", Rev: 5})
	c.Published(store.Checkout{ID: "chk_1", MerchantID: "m", Rev: 4}) // racing, older
	if e, ok := c.get("m", "chk_1"); !ok || e.rev != 5 {
		t.Fatalf("after snapshots 5 then 4: %+v %v, want rev 5", e, ok)
	}
	c.put("chk_1", gen, encodedAt("m", "chk_1", 6)) // read before the snapshots were announced
	c.Touched("chk_1")
	if _, ok := c.get("m", "chk_1"); ok {
		t.Fatal("a touched entry stayed")
	}
	c.put("chk_1", gen, encodedAt("m", "chk_1", 5))
	if _, ok := c.get("m", "chk_1"); ok {
		t.Fatal("a fill read before the touch was kept")
	}
	c.Published(store.Checkout{ID: "chk_2", MerchantID: "m", Rev: 1})
	if _, ok := c.get("m", "chk_2"); ok {
		t.Fatal("a snapshot nobody read was cached")
	}
}

// TestCachedReadReplacedBySnapshot: an entry cached when a verdict
// commits is replaced by the feed's snapshot (no database read), and that
// snapshot's encoding is the row's.
func TestCachedReadReplacedBySnapshot(t *testing.T) {
	h, plain := cachedHarness(t, 0)
	_, key := h.merchant()
	id := decode(t, h.checkout(key, "Pu-snap", "10"))["id"].(string)
	ctx := context.Background()
	h.clock.Add(2 * time.Minute)
	claimed, err := h.db.ClaimDue(ctx, 10, time.Minute)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claim = %d, %v", len(claimed), err)
	}
	before := h.read(plain, key, id) // cached with the lease
	c := claimed[0]
	next := h.clock.Now().Add(90 * time.Second)
	for _, state := range []store.State{store.StateActionRequired, store.StateSucceeded} {
		out, err := h.db.Apply(ctx, store.Observation{CheckoutID: c.ID, Version: c.Version, WakeSeq: c.WakeSeq, ClaimSeq: c.ClaimSeq,
			Checked: true, State: state, ProviderStatus: strings.ToUpper(string(state)), Amount: "10", Currency: "XAF",
			ResolvedBy: store.SourcePoll, Attempts: 1, NextCheckAt: &next})
		if err != nil {
			t.Fatal(err)
		}
		if got := h.read(plain, key, id); got == before {
			t.Fatalf("after %s the body did not change", state)
		}
		c, before = out, h.read(plain, key, id)
	}
}
