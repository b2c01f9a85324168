package notify

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/paysync/paysync/internal/testwait"
	"github.com/paysync/paysync/store"
)

// gatedStore is the real store with the attempts' writes held until open
// is closed, as a writer queued behind everyone else's writes holds them.
type gatedStore struct {
	*store.DB
	open chan struct{}

	mu     sync.Mutex
	writes int // RecordAttempt and RecordAttempts calls that went through
}

var _ Store = (*gatedStore)(nil)

func (g *gatedStore) RecordAttempt(ctx context.Context, r store.AttemptResult) error {
	<-g.open
	g.count()
	return g.DB.RecordAttempt(ctx, r)
}

func (g *gatedStore) RecordAttempts(ctx context.Context, rs []store.AttemptResult) error {
	<-g.open
	g.count()
	return g.DB.RecordAttempts(ctx, rs)
}

func (g *gatedStore) count() {
	g.mu.Lock()
	g.writes++
	g.mu.Unlock()
}

// TestSlotFreeBeforeTheOutcomeIsWritten: an attempt's slot serves the
// next delivery as soon as the endpoint answered, not once the outcome's
// write committed; the outcomes, written together, all land. Before, one
// slot held by a slow write kept every other delivery waiting.
func TestSlotFreeBeforeTheOutcomeIsWritten(t *testing.T) {
	t.Parallel()
	ep := newEndpoint(t, status(http.StatusNoContent))
	r := newRig(t, ep.srv.URL)
	for i := range 3 {
		r.settle(fmt.Sprintf("order-%d", i), store.StateSucceeded)
	}
	g := &gatedStore{DB: r.db, open: make(chan struct{})}
	d, err := New(g, Config{PublicURL: "http://paysync.test", Client: r.client, Now: r.clock.Now,
		Jitter: func() float64 { return 0 }, Concurrency: 1})
	if err != nil {
		t.Fatal(err)
	}
	d.Start(context.Background())
	defer d.Stop()
	var once sync.Once
	open := func() { once.Do(func() { close(g.open) }) }
	defer open() // before Stop, which waits for the attempts
	testwait.For(t, "three webhooks sent through one slot while no outcome could be written", func() bool { return len(ep.requests()) == 3 })
	open()
	testwait.For(t, "the three outcomes written", func() bool {
		for _, dl := range r.deliveries("") {
			if dl.Status != store.DeliveryDelivered {
				return false
			}
		}
		return true
	})
	d.Stop()
	if ds := r.deliveries(""); len(ds) != 3 {
		t.Fatalf("%d deliveries, want 3", len(ds))
	}
	g.mu.Lock()
	t.Logf("3 outcomes written in %d writes", g.writes)
	g.mu.Unlock()
}
