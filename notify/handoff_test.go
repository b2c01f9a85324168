package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/paysync/paysync/internal/testwait"

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

// TestOutboxGetsATurnBesideTheHandOff: a delivery due in the outbox (a
// retry, a put-back, a recovered lease: here one enqueued before the
// hand-off was wired) goes out within the first two attempts of a lone
// slot, not behind every delivery handed over after it. Before, Claim
// took the hand-off first and asked the outbox only for what was left,
// so it went out 7th of 7, and a steady hand-off would have kept it
// waiting for as long as it lasted.
func TestOutboxGetsATurnBesideTheHandOff(t *testing.T) {
	t.Parallel()
	ep := newEndpoint(t, status(http.StatusNoContent))
	r := newRig(t, ep.srv.URL)
	r.settle("old-1", store.StateSucceeded) // in the outbox, due now
	d := r.dispatcher(func(c *Config) { c.Concurrency = 1 })
	r.db.HandDeliveriesTo(d)
	for i := range 6 {
		r.settle(fmt.Sprintf("new-%d", i), store.StateSucceeded)
	}
	d.Start(context.Background())
	defer d.Stop()
	testwait.For(t, "7 webhooks", func() bool { return len(ep.requests()) == 7 })
	for i, rq := range ep.requests() {
		if bytes.Contains(rq.body, []byte(`"old-1"`)) && i >= 2 {
			t.Fatalf("the outbox's delivery went out %d of 7, behind the hand-off", i+1)
		}
	}
}

// TestPromptEndpointsExcessWaitsOutsideTheSlots: deliveries handed over
// for a prompt endpoint at its share (a busy merchant) wait in memory,
// holding no loop slot, and a quiet merchant's delivery handed over after
// them goes out in this pass; they go, oldest first, once the busy
// endpoint has a slot again. Before, they took the pass's slots and then
// waited in them for the busy endpoint (up to twice its latency each),
// and a quiet merchant's webhook waited behind them: 300-670 ms against
// 5-10 ms, in the review's measure with a 60 ms endpoint.
func TestPromptEndpointsExcessWaitsOutsideTheSlots(t *testing.T) {
	t.Parallel()
	r := newRig(t, "http://127.0.0.1:1/unused")
	d := r.dispatcher(func(c *Config) { c.Concurrency, c.PerEndpoint = 4, 1 }) // a busy endpoint may borrow 3
	t0 := time.Unix(1000, 0)
	d.slots.take("busy", "warm", t0)
	d.slots.release("busy", "warm", t0.Add(5*time.Millisecond)) // prompt: 5 ms
	for i := range 3 {
		// in flight since "now" as the slots see it (started in the future: never old enough to stop being prompt)
		if ok, _ := d.slots.take("busy", fmt.Sprint("f", i), time.Now().Add(time.Hour)); !ok {
			t.Fatalf("busy attempt %d refused", i)
		}
	}
	leaseEnd := r.clock.Now().Add(2 * time.Minute)
	handed := func(id, merchant string) store.Delivery {
		return store.Delivery{ID: id, MerchantID: merchant, ClaimSeq: 1, Status: store.DeliveryPending, NextAttemptAt: &leaseEnd}
	}
	d.HandOff([]store.Delivery{handed("b1", "busy"), handed("b2", "busy"), handed("q1", "quiet")})
	ids := func(ds []store.Delivery) (out []string) {
		for _, dl := range ds {
			out = append(out, dl.ID)
		}
		return out
	}
	got, err := dueDeliveries{d}.Claim(context.Background(), 2, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if g := ids(got); !slices.Equal(g, []string{"q1"}) {
		t.Fatalf("pass with the busy endpoint at its share took %v; want only the quiet merchant's q1", g)
	}
	if n := d.deferredLen(); n != 2 {
		t.Fatalf("%d deferred, want the busy endpoint's 2", n)
	}
	d.slots.release("busy", "f0", time.Now().Add(time.Hour))
	if got, err = (dueDeliveries{d}).Claim(context.Background(), 2, time.Minute); err != nil {
		t.Fatal(err)
	}
	if g := ids(got); !slices.Equal(g, []string{"b1"}) {
		t.Fatalf("pass with one busy slot free took %v; want the oldest deferred, b1", g)
	}
}
