package poller

import (
	"context"
	"sync"
	"time"

	"github.com/paysync/paysync/store"
)

// accountCache keeps merchants' decrypted provider accounts for a while, so
// a check doesn't read and decrypt them every time.
type accountCache struct {
	st  Store
	now func() time.Time
	ttl time.Duration

	mu   sync.Mutex
	byID map[string]cachedAccount
}

type cachedAccount struct {
	m       store.Merchant
	fetched time.Time
}

func newAccountCache(st Store, now func() time.Time, ttl time.Duration) *accountCache {
	return &accountCache{st: st, now: now, ttl: ttl, byID: map[string]cachedAccount{}}
}

func (a *accountCache) get(ctx context.Context, id string) (store.Merchant, error) {
	now := a.now()
	a.mu.Lock()
	c, ok := a.byID[id]
	a.mu.Unlock()
	if ok && now.Sub(c.fetched) < a.ttl {
		return c.m, nil
	}
	m, _, err := a.st.MerchantSecrets(ctx, id)
	if err != nil {
		return store.Merchant{}, err
	}
	a.mu.Lock()
	a.byID[id] = cachedAccount{m: m, fetched: now}
	a.mu.Unlock()
	return m, nil
}
