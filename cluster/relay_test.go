package cluster_test

import (
	"context"
	"testing"
	"time"

	"github.com/paysync/paysync/cluster"
	"github.com/paysync/paysync/internal/testwait"
	"github.com/paysync/paysync/service"
	"github.com/paysync/paysync/store"
)

// fakeStore hands the relay's signal function to the test (on listening)
// and serves checkouts from a map; Listen holds until the relay stops.
type fakeStore struct {
	listening chan func(store.Signal)
	checkouts map[string]store.Checkout
}

var _ cluster.Store = (*fakeStore)(nil)

func (s *fakeStore) Listen(ctx context.Context, fn func(store.Signal)) (bool, error) {
	s.listening <- fn
	<-ctx.Done()
	return true, nil
}

func (s *fakeStore) CheckoutByID(_ context.Context, id string) (store.Checkout, error) {
	c, ok := s.checkouts[id]
	if !ok {
		return store.Checkout{}, store.Errorf(store.ENOTFOUND, "checkout %s not found", id)
	}
	return c, nil
}

// touches records the feed's touches.
type touches chan string

func (touches) Published(store.Checkout) {}
func (t touches) Touched(id string)      { t <- id }

// Each signal reaches its part: a new checkout wakes the poller, a watched
// checkout's version reaches its waiter through the feed, an unwatched one
// is only touched, a due check wakes the poller, a due delivery the
// dispatcher, and a resync both, with the watched checkouts read again.
func TestRelayPassesSignalsOn(t *testing.T) {
	st := &fakeStore{listening: make(chan func(store.Signal), 1), checkouts: map[string]store.Checkout{
		"co_watched": {ID: "co_watched", Version: 2},
	}}
	feed := store.NewFeed()
	defer feed.Close()
	touched := make(touches, 10)
	feed.Observe(touched)
	wakes, sends := service.NewSignal(), service.NewSignal()
	r := cluster.NewRelay(st, cluster.RelayConfig{Feed: feed, Wake: wakes.Notify, Send: sends.Notify,
		Resync: time.Hour}) // no resync but the signalled one
	r.Start(context.Background())
	signal := testwait.Signal(t, "the relay to listen", st.listening)

	sub := feed.Subscribe("co_watched")
	defer sub.Close()
	signal(store.Signal{Kind: store.SignalCheckout, CheckoutID: "co_watched", Version: 2})
	testwait.Signal(t, "the watched checkout's change", sub.Changed())
	if c, ok := sub.Latest(); !ok || c.Version != 2 {
		t.Fatalf("the waiter got %+v, %v; want version 2", c, ok)
	}
	if testwait.Never(wakes) {
		t.Fatal("a checkout's second version woke the poller")
	}

	signal(store.Signal{Kind: store.SignalCheckout, CheckoutID: "co_new", Version: 1})
	testwait.Signal(t, "a new checkout to wake the poller", wakes)
	if id := testwait.Signal(t, "the unwatched checkout to be touched", touched); id != "co_new" {
		t.Fatalf("touched %s, want co_new", id)
	}

	signal(store.Signal{Kind: store.SignalCheckDue})
	testwait.Signal(t, "a due check to wake the poller", wakes)
	signal(store.Signal{Kind: store.SignalDeliveryDue})
	testwait.Signal(t, "a due delivery to wake the dispatcher", sends)

	st.checkouts["co_watched"] = store.Checkout{ID: "co_watched", Version: 3}
	signal(store.Signal{Kind: store.SignalResync})
	testwait.Signal(t, "a resync to wake the poller", wakes)
	testwait.Signal(t, "a resync to wake the dispatcher", sends)
	testwait.For(t, "the resync to read the watched checkout again", func() bool {
		c, ok := sub.Latest()
		return ok && c.Version == 3
	})

	r.Stop()
	testwait.Signal(t, "the relay to stop", r.Stopped())
}
