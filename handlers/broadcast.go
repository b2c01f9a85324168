package handlers

import (
	"context"
	"errors"
	"sync"

	"github.com/paysync/paysync/store"
)

// ErrBroadcasterClosed is what Subscription.Next returns once the
// broadcaster is closed (the service is shutting down).
var ErrBroadcasterClosed = errors.New("broadcaster closed")

// Broadcaster passes committed checkout changes, in process, to the
// requests waiting on them (long-polls and event streams). Feed it with
// Publish from store.Options.OnChange; every subscriber of the checkout
// gets the new snapshot, so a thousand waiters cost one database write and
// no read. Close releases every waiter; it is safe for concurrent use.
type Broadcaster struct {
	mu     sync.Mutex
	subs   map[string]map[*Subscription]struct{} // by checkout id
	n      int
	closed chan struct{}
	once   sync.Once
}

// NewBroadcaster returns an open broadcaster with no subscribers.
func NewBroadcaster() *Broadcaster {
	return &Broadcaster{subs: map[string]map[*Subscription]struct{}{}, closed: make(chan struct{})}
}

// Publish hands c to every subscriber of c.ID. It never blocks on a
// subscriber: each keeps only the highest version it was offered, so
// calls racing out of version order are harmless. Publishing after Close
// does nothing.
func (b *Broadcaster) Publish(c store.Checkout) {
	b.mu.Lock()
	defer b.mu.Unlock()
	select {
	case <-b.closed:
		return
	default:
	}
	for s := range b.subs[c.ID] {
		s.offer(c)
	}
}

// Subscribe starts watching the checkout id. Subscribe before reading the
// checkout, so that a change committed between the read and the
// subscription is not missed. The caller must Close the subscription. On
// a closed broadcaster it returns a subscription that is already done.
func (b *Broadcaster) Subscribe(id string) *Subscription {
	s := &Subscription{b: b, id: id, changed: make(chan struct{}, 1)}
	b.mu.Lock()
	defer b.mu.Unlock()
	select {
	case <-b.closed:
		s.gone = true
		return s
	default:
	}
	if b.subs[id] == nil {
		b.subs[id] = map[*Subscription]struct{}{}
	}
	b.subs[id][s] = struct{}{}
	b.n++
	return s
}

// Subscribers returns how many subscriptions are open.
func (b *Broadcaster) Subscribers() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.n
}

// Close ends every wait, now and later: Next returns
// ErrBroadcasterClosed and Done is closed. Subscriptions still need their
// own Close, which the waiters do as they return. Close is idempotent.
func (b *Broadcaster) Close() {
	b.once.Do(func() { close(b.closed) })
}

func (b *Broadcaster) remove(s *Subscription) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if s.gone {
		return
	}
	s.gone = true
	delete(b.subs[s.id], s)
	if len(b.subs[s.id]) == 0 {
		delete(b.subs, s.id)
	}
	b.n--
}

// Subscription is one waiter's view of one checkout: the newest snapshot
// published since it began.
type Subscription struct {
	b       *Broadcaster
	id      string
	changed chan struct{} // capacity 1: "there may be a newer snapshot"
	gone    bool          // removed from b.subs; guarded by b.mu

	mu     sync.Mutex
	latest store.Checkout // highest version offered; zero before any
}

func (s *Subscription) offer(c store.Checkout) {
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

// Done is closed when the broadcaster closes.
func (s *Subscription) Done() <-chan struct{} { return s.b.closed }

// Latest returns the highest-version snapshot published since the
// subscription began, and false if none was.
func (s *Subscription) Latest() (store.Checkout, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.latest, s.latest.Version > 0
}

// Next waits for a snapshot whose version is above after and returns it.
// It returns ctx.Err() when ctx ends first and ErrBroadcasterClosed when
// the broadcaster closes first.
func (s *Subscription) Next(ctx context.Context, after int64) (store.Checkout, error) {
	for {
		if c, ok := s.Latest(); ok && c.Version > after {
			return c, nil
		}
		select {
		case <-s.changed:
		case <-ctx.Done():
			return store.Checkout{}, ctx.Err()
		case <-s.b.closed:
			return store.Checkout{}, ErrBroadcasterClosed
		}
	}
}

// Close ends the subscription; it is idempotent.
func (s *Subscription) Close() { s.b.remove(s) }
