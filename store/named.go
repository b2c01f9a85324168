package store

import "sync"

// namedCacheSize bounds the identities the named cache remembers.
const namedCacheSize = 1 << 16

// namedCache remembers (merchant, provider, reference or provider_ref)
// identities known to name a registered checkout, so that accepting a
// callback for one costs no read (AcceptNotification). It holds only
// positives, which stay true: a checkout is never deleted and never
// gives up a reference or provider_ref it holds (so another instance's
// registration can't make an entry wrong either); a miss reads the
// database. Past its bound it forgets an arbitrary entry. Safe for
// concurrent use.
type namedCache struct {
	mu  sync.Mutex
	ids map[namedKey]struct{}
}

// namedKey is an identity with its kind: a callback's transaction_id is
// matched against references only, its checkout id against provider_refs
// only (MatchNotification), so the cache keeps them apart.
type namedKey struct {
	identity
	providerRef bool
}

func refKey(merchant, provider, ref string) namedKey {
	return namedKey{identity{merchant, provider, ref}, false}
}

func providerRefKey(merchant, provider, ref string) namedKey {
	return namedKey{identity{merchant, provider, ref}, true}
}

func (c *namedCache) has(id namedKey) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.ids[id]
	return ok
}

func (c *namedCache) add(ids ...namedKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ids == nil {
		c.ids = make(map[namedKey]struct{})
	}
	for _, id := range ids {
		if id.ref == "" || id.merchant == "" {
			continue
		}
		if len(c.ids) >= namedCacheSize {
			for old := range c.ids { // map order: an arbitrary entry
				delete(c.ids, old)
				break
			}
		}
		c.ids[id] = struct{}{}
	}
}

// knownNamed reports whether the cache knows one of the identities n
// names to be registered.
func (c *namedCache) knownNamed(n Notification) bool {
	return c.has(refKey(n.MerchantID, n.Provider, n.TransactionID)) ||
		c.has(providerRefKey(n.MerchantID, n.Provider, n.ProviderCheckoutID))
}

// learnNamed remembers what a read found registered for n: only when n
// names one identity, since a match of either of two doesn't tell which.
func (c *namedCache) learnNamed(n Notification) {
	switch {
	case n.ProviderCheckoutID == "":
		c.add(refKey(n.MerchantID, n.Provider, n.TransactionID))
	case n.TransactionID == "":
		c.add(providerRefKey(n.MerchantID, n.Provider, n.ProviderCheckoutID))
	}
}

// learnCheckout remembers a registered checkout's identities.
func (c *namedCache) learnCheckout(ck Checkout) {
	c.add(refKey(ck.MerchantID, ck.Provider, ck.Reference), providerRefKey(ck.MerchantID, ck.Provider, ck.ProviderRef))
}
