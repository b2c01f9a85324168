package handlers

import (
	"sync"
	"time"

	"github.com/paysync/paysync/store"
)

// defaultMaxHeld is Config.MaxHeldPerMerchant's default.
const defaultMaxHeld = 1000

// holds counts, per merchant, the requests this process holds open: event
// streams (…/stream) and long-polls (?wait=). Each holds a connection, a
// descriptor and buffers shared with every other client, callbacks
// included, so one API key can't take them all.
type holds struct {
	max int
	mu  sync.Mutex
	n   map[string]int
}

func newHolds(max int) *holds { return &holds{max: max, n: map[string]int{}} }

// take takes one of the merchant's places, or refuses with ELIMIT (429,
// Retry-After 1s) when they are all taken; release gives it back.
func (h *holds) take(merchantID string) (release func(), err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.n[merchantID] >= h.max {
		e := store.Errorf(store.ELIMIT, "this API key holds %d event streams and long-polls already; close one, or poll without wait", h.max)
		e.RetryAfter = time.Second
		return nil, e
	}
	h.n[merchantID]++
	var once sync.Once
	return func() {
		once.Do(func() {
			h.mu.Lock()
			defer h.mu.Unlock()
			if h.n[merchantID]--; h.n[merchantID] <= 0 {
				delete(h.n, merchantID)
			}
		})
	}, nil
}
