package handlers

import (
	"hash/maphash"
	"sync"
	"time"

	"github.com/paysync/paysync/store"
)

// Reads says how far GET /v1/checkouts/{id} may trust its cache of encoded
// checkouts (Config.Reads); the wiring knows which applies.
type Reads int

const (
	// ReadsUncached reads every checkout from the store: the default,
	// since nothing then says that Changes hears of every commit.
	ReadsUncached Reads = iota
	// ReadsFromFeed serves a cached checkout without a database read. It
	// is right only when Changes is told of every commit to the database
	// (Publish wired to store.Options.OnChange, Touch to OnTouch), as on
	// a database no other process writes (SQLite): both run after each
	// commit, before the writer answers.
	ReadsFromFeed
	// ReadsValidated serves a cached checkout only after a read of its
	// revision (store.DB.CheckoutRev, one indexed column) finds it
	// current: for a database other instances write too (PostgreSQL),
	// whose commits reach Changes later through the relay, if at all. A
	// merchant who got a webhook from one instance never reads an older
	// state from another.
	ReadsValidated
)

// defaultReadCacheSize is how many checkouts the cache holds by default.
const defaultReadCacheSize = 10000

// cacheShards splits the cache so that concurrent reads of different
// checkouts rarely meet on a lock.
const cacheShards = 64

// checkoutCache holds, per checkout id, the checkout object's JSON and
// ETag as encodeCheckout made them from one revision of the row
// (store.Checkout.Rev), with what the per-request headers need. It is fed
// by the change feed (store.Observer): a newer snapshot replaces an entry,
// a touch drops it. Entries are bounded (per shard, a random one goes
// when a shard is full); it is safe for concurrent use.
//
// A read that misses fills the entry from the database only if the
// entry's shard heard of no change since the read began (gen): a change
// committed after the read but announced before the fill would otherwise
// be overwritten by the older row.
type checkoutCache struct {
	seed     maphash.Seed
	perShard int
	encode   func(store.Checkout) (*cachedCheckout, error)
	shards   [cacheShards]cacheShard
}

type cacheShard struct {
	mu      sync.Mutex
	gen     uint64 // bumped by every change the feed announces for an id of the shard
	entries map[string]*cachedCheckout
}

// cachedCheckout is one encoded revision of a checkout; it is never
// modified once made.
type cachedCheckout struct {
	merchantID  string
	rev         int64
	state       store.State
	nextCheckAt *time.Time
	body        []byte
	etag        string
}

func newCheckoutCache(size int, encode func(store.Checkout) (*cachedCheckout, error)) *checkoutCache {
	c := &checkoutCache{seed: maphash.MakeSeed(), perShard: max(1, size/cacheShards), encode: encode}
	for i := range c.shards {
		c.shards[i].entries = map[string]*cachedCheckout{}
	}
	return c
}

func (c *checkoutCache) shard(id string) *cacheShard {
	return &c.shards[maphash.String(c.seed, id)%cacheShards]
}

// get returns the merchant's cached checkout id; another merchant's entry
// is a miss, so that the store answers (404).
func (c *checkoutCache) get(merchantID, id string) (*cachedCheckout, bool) {
	sh := c.shard(id)
	sh.mu.Lock()
	e, ok := sh.entries[id]
	sh.mu.Unlock()
	if !ok || e.merchantID != merchantID {
		return nil, false
	}
	return e, true
}

// gen returns the generation of id's shard, to pass to put after reading
// the row.
func (c *checkoutCache) gen(id string) uint64 {
	sh := c.shard(id)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return sh.gen
}

// put stores e, read from the database for checkout id after gen was
// taken, unless the feed announced a change in its shard since, or a
// newer revision is already there.
func (c *checkoutCache) put(id string, gen uint64, e *cachedCheckout) {
	sh := c.shard(id)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.gen != gen {
		return
	}
	if cur, ok := sh.entries[id]; ok {
		if cur.rev < e.rev {
			sh.entries[id] = e
		}
		return
	}
	if len(sh.entries) >= c.perShard {
		for k := range sh.entries { // map order is random: a random victim
			delete(sh.entries, k)
			break
		}
	}
	sh.entries[id] = e
}

// Published implements store.Observer: a snapshot newer than the entry
// replaces it (encoded outside the shard's lock); none is added.
func (c *checkoutCache) Published(ck store.Checkout) {
	sh := c.shard(ck.ID)
	sh.mu.Lock()
	sh.gen++
	cur, ok := sh.entries[ck.ID]
	sh.mu.Unlock()
	if !ok || cur.rev >= ck.Rev {
		return
	}
	next, err := c.encode(ck)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.entries[ck.ID] != cur { // changed meanwhile: whoever changed it knew better
		return
	}
	if err != nil {
		delete(sh.entries, ck.ID)
		return
	}
	sh.entries[ck.ID] = next
}

// Touched implements store.Observer: the entry is dropped.
func (c *checkoutCache) Touched(id string) {
	sh := c.shard(id)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	sh.gen++
	delete(sh.entries, id)
}

// len returns how many entries the cache holds.
func (c *checkoutCache) len() int {
	n := 0
	for i := range c.shards {
		sh := &c.shards[i]
		sh.mu.Lock()
		n += len(sh.entries)
		sh.mu.Unlock()
	}
	return n
}

var _ store.Observer = (*checkoutCache)(nil)
