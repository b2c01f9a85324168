package handlers

import (
	"context"
	"crypto/sha256"
	"sync"
	"time"

	"github.com/paysync/paysync/store"
)

// merchantCache remembers for a short TTL which merchant a credential (a
// merchant API key or a PayUnit hook token) belongs to, so a request does
// not pay an SQL lookup each time. It is keyed by the SHA-256 of the
// credential, never the credential itself, so a wrong credential can only
// miss. Only successful lookups are cached: an unknown credential always
// reaches the store, and an attacker can't fill the cache. A credential
// removed or rotated in the store keeps working for at most the TTL.
type merchantCache struct {
	ttl time.Duration // <= 0 disables the cache
	now func() time.Time
	max int

	mu      sync.RWMutex
	entries map[[sha256.Size]byte]cachedMerchant
}

type cachedMerchant struct {
	m     store.Merchant
	until time.Time
}

// maxCachedMerchants bounds the cache; past it, expired entries go and,
// if none had expired, the whole cache is dropped.
const maxCachedMerchants = 10000

func newMerchantCache(ttl time.Duration, now func() time.Time) *merchantCache {
	return &merchantCache{ttl: ttl, now: now, max: maxCachedMerchants, entries: map[[sha256.Size]byte]cachedMerchant{}}
}

// get returns the merchant owning credential secret of the given kind
// ("api_key", "hook_token"), from the cache while fresh, else from load;
// load's errors are returned and never cached.
func (c *merchantCache) get(ctx context.Context, kind, secret string,
	load func(context.Context, string) (store.Merchant, error)) (store.Merchant, error) {
	if c.ttl <= 0 {
		return load(ctx, secret)
	}
	key := sha256.Sum256([]byte(kind + "\x00" + secret))
	now := c.now()
	c.mu.RLock()
	e, ok := c.entries[key]
	c.mu.RUnlock()
	if ok && now.Before(e.until) {
		return e.m, nil
	}
	m, err := load(ctx, secret)
	if err != nil {
		return store.Merchant{}, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= c.max {
		c.evict(now)
	}
	c.entries[key] = cachedMerchant{m: m, until: now.Add(c.ttl)}
	return m, nil
}

// evict drops expired entries, or everything when none had expired. The
// caller holds mu.
func (c *merchantCache) evict(now time.Time) {
	for k, e := range c.entries {
		if !now.Before(e.until) {
			delete(c.entries, k)
		}
	}
	if len(c.entries) >= c.max {
		clear(c.entries)
	}
}
