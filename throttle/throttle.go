// Package throttle counts failures by key (a client address, a credential
// tried) and holds a key back once it failed too often within a window:
// the bound on guessing a console sign-in token or an API key. It is
// in-memory and per process, bounded in size, and safe for concurrent use.
package throttle

import (
	"cmp"
	"net"
	"net/http"
	"sync"
	"time"
)

// Failures holds back a key after Limit failures within Window, until that
// window ends. The zero value is not usable: use New.
type Failures struct {
	limit  int
	window time.Duration
	now    func() time.Time
	max    int

	mu   sync.Mutex
	keys map[string]*count
}

type count struct {
	n     int
	since time.Time // the window's start
}

// maxKeys bounds the keys remembered; past it, the keys whose window has
// ended go and, if none had, the oldest half.
const maxKeys = 100_000

// New returns a Failures allowing limit failures per window and key (5 per
// minute by default); now is the clock (time.Now by default).
func New(limit int, window time.Duration, now func() time.Time) *Failures {
	if now == nil {
		now = time.Now
	}
	return &Failures{limit: cmp.Or(limit, 5), window: cmp.Or(window, time.Minute), now: now, max: maxKeys,
		keys: map[string]*count{}}
}

// Held reports whether any of keys is held back now, and for how long.
func (f *Failures) Held(keys ...string) (time.Duration, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now()
	var wait time.Duration
	for _, k := range keys {
		c, ok := f.keys[k]
		if !ok {
			continue
		}
		end := c.since.Add(f.window)
		if !now.Before(end) {
			delete(f.keys, k)
			continue
		}
		if c.n >= f.limit {
			wait = max(wait, end.Sub(now))
		}
	}
	return wait, wait > 0
}

// Fail counts one failure for each of keys.
func (f *Failures) Fail(keys ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now()
	for _, k := range keys {
		c, ok := f.keys[k]
		if !ok || !now.Before(c.since.Add(f.window)) {
			if len(f.keys) >= f.max {
				f.evict(now)
			}
			c = &count{since: now}
			f.keys[k] = c
		}
		c.n++
	}
}

// evict drops the keys whose window ended, or else the older half. The
// caller holds mu.
func (f *Failures) evict(now time.Time) {
	for k, c := range f.keys {
		if !now.Before(c.since.Add(f.window)) {
			delete(f.keys, k)
		}
	}
	if len(f.keys) < f.max {
		return
	}
	mid := now.Add(-f.window / 2)
	for k, c := range f.keys {
		if c.since.Before(mid) || len(f.keys) >= f.max {
			delete(f.keys, k)
		}
	}
}

// ClientAddr is the key of the client that sent r: the address it
// connected from (RemoteAddr, without the port), never a header the client
// sets (X-Forwarded-For can be forged). Behind a reverse proxy every client
// shares the proxy's address.
func ClientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	return "addr:" + host
}
