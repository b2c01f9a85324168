package store

import (
	"context"
	"errors"
	"sync"
)

// ErrFeedClosed is what Subscription.Next returns once the feed is closed
// (the service is shutting down).
var ErrFeedClosed = errors.New("change feed closed")

// Feed is the store's change feed: it passes committed checkout changes,
// in process, to those waiting on them (long-polls and event streams).
// Feed it with Publish from Options.OnChange; every subscriber of the
// checkout gets the new snapshot, so a thousand waiters cost one database
// write and no read. Close releases every waiter; it is safe for
// concurrent use.
type Feed struct {
	mu     sync.Mutex
	subs   map[string]map[*Subscription]struct{} // by checkout id
	obs    []Observer
	n      int
	closed chan struct{}
	once   sync.Once
}

// NewFeed returns an open feed with no subscribers.
func NewFeed() *Feed {
	return &Feed{subs: map[string]map[*Subscription]struct{}{}, closed: make(chan struct{})}
}

// Observer learns everything a Feed is told, whether or not anybody waits
// on the checkout: a cache of checkouts keeps itself current with it. Its
// methods run on the publisher's goroutine, under the feed's lock: they
// must not block nor call the feed.
type Observer interface {
	// Published is handed every snapshot Publish gets, in whatever order
	// the publishers race (compare Checkout.Rev).
	Published(c Checkout)
	// Touched is told that checkout id changed with no snapshot to give
	// (see Touch).
	Touched(id string)
}

// Observe adds o to the observers of every later Publish and Touch.
func (f *Feed) Observe(o Observer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.obs = append(f.obs, o)
}

// Publish hands c to every subscriber of c.ID and to the observers. It
// never blocks on a subscriber: each keeps only the highest version it was
// offered, so calls racing out of version order are harmless. Publishing
// after Close does nothing.
func (f *Feed) Publish(c Checkout) {
	f.mu.Lock()
	defer f.mu.Unlock()
	select {
	case <-f.closed:
		return
	default:
	}
	for _, o := range f.obs {
		o.Published(c)
	}
	for s := range f.subs[c.ID] {
		s.offer(c)
	}
}

// Touch tells the observers that the checkout id changed without a
// snapshot to hand: a write that rewrote shown fields in place
// (store.Options.OnTouch), or another instance's commit heard by the
// relay. Subscribers, who wait for a new version, are not woken. Touching
// after Close does nothing.
func (f *Feed) Touch(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	select {
	case <-f.closed:
		return
	default:
	}
	for _, o := range f.obs {
		o.Touched(id)
	}
}

// Subscribe starts watching the checkout id. Subscribe before reading the
// checkout, so that a change committed between the read and the
// subscription is not missed. The caller must Close the subscription. On
// a closed feed it returns a subscription that is already done.
func (f *Feed) Subscribe(id string) *Subscription {
	s := &Subscription{f: f, id: id, changed: make(chan struct{}, 1)}
	f.mu.Lock()
	defer f.mu.Unlock()
	select {
	case <-f.closed:
		s.gone = true
		return s
	default:
	}
	if f.subs[id] == nil {
		f.subs[id] = map[*Subscription]struct{}{}
	}
	f.subs[id][s] = struct{}{}
	f.n++
	return s
}

// Subscribers returns how many subscriptions are open.
func (f *Feed) Subscribers() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.n
}

// Watching reports whether anybody waits on the checkout id.
func (f *Feed) Watching(id string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.subs[id]) > 0
}

// Watched returns the ids of the checkouts somebody waits on.
func (f *Feed) Watched() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	ids := make([]string, 0, len(f.subs))
	for id, subs := range f.subs {
		if len(subs) > 0 {
			ids = append(ids, id)
		}
	}
	return ids
}

// Close ends every wait, now and later: Next returns
// ErrFeedClosed and Done is closed. Subscriptions still need their
// own Close, which the waiters do as they return. Close is idempotent.
func (f *Feed) Close() {
	f.once.Do(func() { close(f.closed) })
}

func (f *Feed) remove(s *Subscription) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if s.gone {
		return
	}
	s.gone = true
	delete(f.subs[s.id], s)
	if len(f.subs[s.id]) == 0 {
		delete(f.subs, s.id)
	}
	f.n--
}

// Subscription is one waiter's view of one checkout: the newest snapshot
// published since it began.
type Subscription struct {
	f       *Feed
	id      string
	changed chan struct{} // capacity 1: "there may be a newer snapshot"
	gone    bool          // removed from f.subs; guarded by f.mu

	mu     sync.Mutex
	latest Checkout // highest version offered; zero before any
}

func (s *Subscription) offer(c Checkout) {
	s.mu.Lock()
	newer := c.Version > s.latest.Version
	if newer {
		s.latest = c
	}
	s.mu.Unlock()
	if newer {
		select {
		case s.changed <- struct{}{}:
		default: // already signalled; the waiter will read the newest
		}
	}
}

// Changed is signalled (without blocking the publisher) when a newer
// snapshot may be available from Latest.
func (s *Subscription) Changed() <-chan struct{} { return s.changed }

// Done is closed when the feed closes.
func (s *Subscription) Done() <-chan struct{} { return s.f.closed }

// Latest returns the highest-version snapshot published since the
// subscription began, and false if none was.
func (s *Subscription) Latest() (Checkout, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.latest, s.latest.Version > 0
}

// Next waits for a snapshot whose version is above after and returns it.
// It returns ctx.Err() when ctx ends first and ErrFeedClosed when
// the feed closes first.
func (s *Subscription) Next(ctx context.Context, after int64) (Checkout, error) {
	for {
		if c, ok := s.Latest(); ok && c.Version > after {
			return c, nil
		}
		select {
		case <-s.changed:
		case <-ctx.Done():
			return Checkout{}, ctx.Err()
		case <-s.f.closed:
			return Checkout{}, ErrFeedClosed
		}
	}
}

// Close ends the subscription; it is idempotent.
func (s *Subscription) Close() { s.f.remove(s) }
