package notify

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/paysync/paysync/store"
)

// noClaims is the real store whose claims fail: what the dispatcher sends
// through it came by the hand-off.
type noClaims struct{ *store.DB }

func (noClaims) ClaimDeliveries(context.Context, int, time.Duration) ([]store.Delivery, error) {
	return nil, errors.New("no claims in this test")
}

// TestHandedDeliveryNeedsNoClaim: with the store handing its new
// deliveries to the dispatcher, a transition's webhook goes out and is
// recorded without a claim of the dispatcher's (the write behind
// everyone else's that stood between a commit and its webhook).
func TestHandedDeliveryNeedsNoClaim(t *testing.T) {
	t.Parallel()
	ep := newEndpoint(t, status(http.StatusNoContent))
	r := newRig(t, ep.srv.URL)
	d, err := New(noClaims{r.db}, Config{PublicURL: "http://paysync.test", Client: r.client, Now: r.clock.Now, Jitter: func() float64 { return 0 }})
	if err != nil {
		t.Fatal(err)
	}
	r.db.HandDeliveriesTo(d)
	c := r.settle("order-1", store.StateSucceeded)
	if n, _ := d.RunOnce(context.Background()); n != 1 {
		t.Fatalf("pass attempted %d, want the delivery handed over", n)
	}
	ds := r.deliveries(c.ID)
	if len(ds) != 1 || ds[0].Status != store.DeliveryDelivered || len(ep.requests()) != 1 {
		t.Fatalf("deliveries %+v, endpoint got %d; want one delivered", ds, len(ep.requests()))
	}
}

// TestHandedDeliveryOutlivesItsProcess: a delivery handed over to a
// dispatcher that never sent it (the process died) goes out from the
// next process at once: it was durable and leased, and the start
// recovers the leases.
func TestHandedDeliveryOutlivesItsProcess(t *testing.T) {
	t.Parallel()
	ep := newEndpoint(t, status(http.StatusNoContent))
	r := newRig(t, ep.srv.URL)
	r.db.HandDeliveriesTo(r.dispatcher()) // never runs
	c := r.settle("order-1", store.StateSucceeded)
	if got, err := r.db.ClaimDeliveries(context.Background(), 10, time.Minute); err != nil || len(got) != 0 {
		t.Fatalf("a delivery handed over was claimable (%d, %v): it is leased", len(got), err)
	}
	r.restart()
	if n := r.runOnce(r.dispatcher()); n != 1 {
		t.Fatalf("the next process attempted %d, want the delivery handed to the dead one", n)
	}
	if ds := r.deliveries(c.ID); len(ds) != 1 || ds[0].Status != store.DeliveryDelivered {
		t.Fatalf("deliveries %+v; want one delivered", ds)
	}
}
