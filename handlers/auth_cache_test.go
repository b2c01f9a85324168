package handlers

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/paysync/paysync/store"
)

// revokingStore is the real store with a switch that makes chosen API keys
// unknown, as a key rotation or a merchant removal would.
type revokingStore struct {
	*store.DB
	mu      sync.Mutex
	revoked map[string]bool
	lookups int
}

func (s *revokingStore) MerchantByAPIKey(ctx context.Context, key string) (store.Merchant, error) {
	s.mu.Lock()
	s.lookups++
	gone := s.revoked[key]
	s.mu.Unlock()
	if gone {
		return store.Merchant{}, store.Errorf(store.ENOTFOUND, "merchant not found")
	}
	return s.DB.MerchantByAPIKey(ctx, key)
}

func (s *revokingStore) revoke(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.revoked[key] = true
}

func (s *revokingStore) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lookups
}

func TestAuthCacheNeverServesAWrongKey(t *testing.T) {
	h := setup(t)
	_, keyA := h.merchant()
	_, keyB := h.merchant()
	ckA := decode(t, h.checkout(keyA, "ref-a", "10"))["id"].(string)
	// Both keys are cached now; a key differing in one character, or the
	// other merchant's key, must not reach merchant A's checkout.
	wantStatus(t, h.request(http.MethodGet, "/v1/checkouts/"+ckA, keyA, nil), http.StatusOK)
	wantStatus(t, h.request(http.MethodGet, "/v1/checkouts/"+ckA, keyB, nil), http.StatusNotFound)
	wrong := keyA[:len(keyA)-1] + string(rune('a'+(keyA[len(keyA)-1]-'a'+1)%26))
	if wrong == keyA {
		t.Fatal("test bug: wrong key equals the key")
	}
	wantProblem(t, h.request(http.MethodGet, "/v1/checkouts/"+ckA, wrong, nil), http.StatusUnauthorized, "unauthorized")
	// A hook token is not an API key, even though both are cached.
	m, _ := h.merchant()
	token := hookPath(m)[len("/hooks/payunit/"):]
	wantStatus(t, h.request(http.MethodPost, hookPath(m), "", `{"transaction_id":"x"}`), http.StatusOK)
	wantProblem(t, h.request(http.MethodGet, "/v1/checkouts/"+ckA, token, nil), http.StatusUnauthorized, "unauthorized")
}

func TestAuthCacheRevokedKeyStopsWithinTTL(t *testing.T) {
	const ttl = 10 * time.Second
	var rs *revokingStore
	h := setup(t, func(cfg *Config) {
		rs = &revokingStore{DB: cfg.Store.(*store.DB), revoked: map[string]bool{}}
		cfg.Store, cfg.AuthCacheTTL = rs, ttl
	})
	_, key := h.merchant()
	id := decode(t, h.checkout(key, "ref-1", "10"))["id"].(string)
	before := rs.count()
	for range 5 {
		wantStatus(t, h.request(http.MethodGet, "/v1/checkouts/"+id, key, nil), http.StatusOK)
	}
	if got := rs.count() - before; got != 0 {
		t.Fatalf("%d store lookups for a cached key, want 0", got)
	}
	rs.revoke(key)
	h.clock.Add(ttl - time.Millisecond) // still cached: the documented window
	wantStatus(t, h.request(http.MethodGet, "/v1/checkouts/"+id, key, nil), http.StatusOK)
	h.clock.Add(time.Millisecond)
	wantProblem(t, h.request(http.MethodGet, "/v1/checkouts/"+id, key, nil), http.StatusUnauthorized, "unauthorized")
	// Failures are never cached: every try asks the store again.
	before = rs.count()
	wantProblem(t, h.request(http.MethodGet, "/v1/checkouts/"+id, key, nil), http.StatusUnauthorized, "unauthorized")
	if rs.count() != before+1 {
		t.Fatalf("a revoked key was answered from the cache")
	}
}

func TestAuthCacheBounded(t *testing.T) {
	now := time.Unix(0, 0)
	c := newMerchantCache(time.Minute, func() time.Time { return now })
	c.max = 3
	load := func(_ context.Context, s string) (store.Merchant, error) { return store.Merchant{ID: "m-" + s}, nil }
	for _, k := range []string{"a", "b", "c", "d", "e"} {
		m, err := c.get(context.Background(), "api_key", k, load)
		if err != nil || m.ID != "m-"+k {
			t.Fatalf("get %s = %v, %v", k, m.ID, err)
		}
		if len(c.entries) > c.max {
			t.Fatalf("cache holds %d entries, max %d", len(c.entries), c.max)
		}
	}
}
