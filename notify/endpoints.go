package notify

import (
	"context"
	"sync"
	"time"

	"github.com/paysync/paysync/store"
)

// endpointSlots counts the attempts in flight per merchant endpoint, so
// that one endpoint (a merchant's webhook URL that hangs) holds at most
// limit of the dispatcher's slots and the others stay free for everyone
// else.
type endpointSlots struct {
	limit int

	mu       sync.Mutex
	inFlight map[string]int // by merchant id
}

func newEndpointSlots(limit int) *endpointSlots {
	return &endpointSlots{limit: limit, inFlight: map[string]int{}}
}

// take reserves a slot for an attempt to merchantID's endpoint, unless it
// already holds limit; release gives the slot back.
func (s *endpointSlots) take(merchantID string) (ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inFlight[merchantID] >= s.limit {
		return false
	}
	s.inFlight[merchantID]++
	return true
}

func (s *endpointSlots) release(merchantID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inFlight[merchantID]--; s.inFlight[merchantID] <= 0 {
		delete(s.inFlight, merchantID)
	}
}

// postpone gives a claimed delivery whose endpoint has its share of the
// slots back to the store, due again a little later and without an
// attempt recorded (its retry schedule is untouched), so that its slot
// serves another merchant's delivery now. The delay is a fifth of an
// attempt's timeout, spread by as much again.
func (d *Dispatcher) postpone(ctx context.Context, dl store.Delivery) {
	wait := d.cfg.Timeout / 5
	next := d.cfg.Now().Add(wait + time.Duration(d.cfg.Jitter()*float64(wait)))
	if err := d.store.RecordAttempt(context.WithoutCancel(ctx), store.AttemptResult{DeliveryID: dl.ID, ClaimSeq: dl.ClaimSeq,
		Status: store.DeliveryPending, NextAt: &next}); err != nil {
		d.cfg.Logger.Error("postpone webhook delivery", "delivery_id", dl.ID, "err", err)
	}
}
