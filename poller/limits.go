package poller

import (
	"context"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/paysync/paysync/store"
)

// merchantLimits holds one token bucket per merchant, so one merchant's
// backlog can't make paysync hammer a provider account.
type merchantLimits struct {
	mu    sync.Mutex
	rate  rate.Limit
	burst int
	byID  map[string]*rate.Limiter
}

func newMerchantLimits(r rate.Limit, burst int) *merchantLimits {
	return &merchantLimits{rate: r, burst: burst, byID: map[string]*rate.Limiter{}}
}

func (l *merchantLimits) wait(ctx context.Context, merchantID string) error {
	l.mu.Lock()
	lim, ok := l.byID[merchantID]
	if !ok {
		lim = rate.NewLimiter(l.rate, l.burst)
		l.byID[merchantID] = lim
	}
	l.mu.Unlock()
	return lim.Wait(ctx)
}

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
