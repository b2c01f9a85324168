package notify

import (
	"context"
	"sync"
	"time"

	"github.com/paysync/paysync/store"
)

// promptAnswer is how quickly an endpoint must answer to count as prompt:
// its recent attempts took less, and none of its attempts in flight has
// taken longer yet.
const promptAnswer = 100 * time.Millisecond

// minPostpone is the shortest a claimed delivery is put back for.
const minPostpone = 10 * time.Millisecond

// endpointSlots counts the attempts in flight per merchant endpoint, so
// that one endpoint (a merchant's webhook URL that hangs) holds at most
// limit of the dispatcher's slots and the others stay free for everyone
// else. An endpoint that answers promptly may borrow idle slots, up to
// borrow: a lone busy merchant is not held to its share while the slots
// sit idle, and should it start to hang, its attempts in flight soon
// count as slow and it is held to its share again (those already sent
// keep at most borrow slots, never all of them).
type endpointSlots struct {
	limit, borrow int

	mu         sync.Mutex
	byMerchant map[string]*endpointState
}

// endpointState is what endpointSlots knows of one merchant's endpoint.
type endpointState struct {
	inFlight map[string]time.Time // attempts in flight: delivery id → start
	latency  time.Duration        // moving average of finished attempts; 0 until one finished
}

// newEndpointSlots returns slots holding each endpoint to limit of
// concurrency, or to borrow while it answers promptly.
func newEndpointSlots(limit, concurrency int) *endpointSlots {
	return &endpointSlots{limit: limit, borrow: max(limit, concurrency-limit), byMerchant: map[string]*endpointState{}}
}

// prompt reports whether st's endpoint answers promptly at now.
func (st *endpointState) prompt(now time.Time) bool {
	if st.latency <= 0 || st.latency >= promptAnswer {
		return false
	}
	for _, at := range st.inFlight {
		if now.Sub(at) >= promptAnswer {
			return false
		}
	}
	return true
}

// slowWait is how soon a delivery of an endpoint not answering promptly
// should come back when the endpoint holds its share: twice what its
// attempts take, as far as known (its latency, or the age of its oldest
// attempt in flight, whichever is longer), at least minPostpone. An
// endpoint that is merely slow (150 ms) gets its deliveries back in a
// fraction of a second; one that hangs, later and later as it goes on
// hanging (the caller bounds it).
func (st *endpointState) slowWait(now time.Time) time.Duration {
	took := st.latency
	for _, at := range st.inFlight {
		took = max(took, now.Sub(at))
	}
	return max(minPostpone, 2*took)
}

// take reserves a slot for the attempt of deliveryID to merchantID's
// endpoint, unless it holds its share already; then again is how soon
// the delivery should come back: about twice the endpoint's latency when
// it answers promptly, else slowWait.
func (s *endpointSlots) take(merchantID, deliveryID string, now time.Time) (ok bool, again time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.byMerchant[merchantID]
	if st == nil {
		st = &endpointState{inFlight: map[string]time.Time{}}
		s.byMerchant[merchantID] = st
	}
	prompt := st.prompt(now)
	share := s.limit
	if prompt {
		share = s.borrow
	}
	if len(st.inFlight) >= share {
		if prompt {
			return false, max(minPostpone, 2*st.latency)
		}
		return false, st.slowWait(now)
	}
	st.inFlight[deliveryID] = now
	return true, 0
}

// room reports whether merchantID's endpoint could take one more attempt
// beyond picked ones about to start (take would say ok), and whether it
// answers promptly: a delivery handed over for a prompt endpoint at its
// share waits in memory for its turn (takeHanded) instead of holding a
// loop slot or going back to the outbox.
func (s *endpointSlots) room(merchantID string, picked int, now time.Time) (ok, prompt bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.byMerchant[merchantID]
	if st == nil {
		return picked < s.limit, false
	}
	prompt = st.prompt(now)
	share := s.limit
	if prompt {
		share = s.borrow
	}
	return len(st.inFlight)+picked < share, prompt
}

// release gives back the slot take reserved for deliveryID, the attempt
// having ended at now (its duration joins the endpoint's latency).
func (s *endpointSlots) release(merchantID, deliveryID string, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.byMerchant[merchantID]
	if st == nil {
		return
	}
	if at, ok := st.inFlight[deliveryID]; ok {
		delete(st.inFlight, deliveryID)
		took := max(now.Sub(at), time.Microsecond)
		if st.latency == 0 {
			st.latency = took
		} else {
			st.latency = (3*st.latency + took) / 4
		}
	}
}

// acquire takes a slot of dl's endpoint for its attempt; when the
// endpoint holds its share, dl is postponed (about twice the endpoint's
// latency) and false returned. It never waits: a loop slot held by a
// delivery waiting for its own endpoint is a slot another merchant's
// delivery could not have (a prompt endpoint's excess waits in memory,
// outside the slots, before it is handed to an attempt: takeHanded).
func (d *Dispatcher) acquire(ctx context.Context, dl store.Delivery) bool {
	ok, again := d.slots.take(dl.MerchantID, dl.ID, time.Now())
	if !ok {
		d.postpone(ctx, dl, again)
	}
	return ok
}

// postpone gives a claimed delivery whose endpoint has its share of the
// slots back to the store, due again after wait (at most, and when 0, a
// fifth of an attempt's timeout), spread by as much again, without an attempt
// recorded (its retry schedule is untouched), so that its slot serves
// another merchant's delivery now.
func (d *Dispatcher) postpone(ctx context.Context, dl store.Delivery, wait time.Duration) {
	if wait <= 0 || wait > d.cfg.Timeout/5 {
		wait = d.cfg.Timeout / 5
	}
	next := d.cfg.Now().Add(wait + time.Duration(d.cfg.Jitter()*float64(wait)))
	d.recorder.add(ctx, store.AttemptResult{DeliveryID: dl.ID, ClaimSeq: dl.ClaimSeq, Status: store.DeliveryPending, NextAt: &next})
}
