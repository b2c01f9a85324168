package notify

import (
	"fmt"
	"testing"
	"time"
)

// An endpoint not known to answer promptly is held to its share, and what
// it can't take comes back after twice the age of its oldest attempt in
// flight (at least minPostpone).
func TestSlotsHoldAnUnknownEndpointToItsShare(t *testing.T) {
	s := newEndpointSlots(2, 8)
	now := time.Unix(1000, 0)
	for i := range 2 {
		if ok, _, _ := s.take("m", fmt.Sprint(i), now); !ok {
			t.Fatalf("attempt %d refused within the share", i)
		}
	}
	if ok, again, _ := s.take("m", "x", now); ok || again != minPostpone {
		t.Fatalf("third attempt: ok %v, again %v; want refused, back after %v", ok, again, minPostpone)
	}
	if ok, again, _ := s.take("m", "x", now.Add(time.Second)); ok || again != 2*time.Second {
		t.Fatalf("third attempt a second later: ok %v, again %v; want refused, back after 2s (twice the hanging attempts' age)", ok, again)
	}
	if ok, _, _ := s.take("other", "o", now); !ok {
		t.Fatal("another merchant's attempt refused")
	}
}

// A lone endpoint that answers in 5 ms borrows idle slots up to
// concurrency less the share, and what it can't take comes back after
// about its latency; once one of its attempts hangs past promptAnswer it
// is held to its share again.
func TestSlotsLendIdleSlotsToAPromptEndpoint(t *testing.T) {
	s := newEndpointSlots(2, 8)
	now := time.Unix(1000, 0)
	for i := range 3 { // learn its latency: 5 ms an attempt
		id := fmt.Sprint("warm", i)
		if ok, _, _ := s.take("m", id, now); !ok {
			t.Fatal("warm-up refused")
		}
		now = now.Add(5 * time.Millisecond)
		s.release("m", id, now)
	}
	for i := range 6 {
		if ok, _, _ := s.take("m", fmt.Sprint(i), now); !ok {
			t.Fatalf("attempt %d of a prompt endpoint refused: it may borrow up to 6 of 8", i)
		}
	}
	ok, again, _ := s.take("m", "7th", now)
	if ok {
		t.Fatal("a prompt endpoint took a 7th slot: 2 of 8 must stay for the others")
	}
	if again < minPostpone || again > promptAnswer {
		t.Fatalf("put back for %v, want about its latency (between %v and %v)", again, minPostpone, promptAnswer)
	}
	for i := range 4 { // four answer; two hang
		s.release("m", fmt.Sprint(i), now.Add(5*time.Millisecond))
	}
	now = now.Add(promptAnswer)
	if ok, again, _ := s.take("m", "late", now); ok || again != 2*promptAnswer {
		t.Fatalf("with attempts hanging for %v: ok %v, again %v; want held to its share (2 in flight)", promptAnswer, ok, again)
	}
}

// A delivery beyond a prompt endpoint's share is told when one of its
// attempts ends (freed), to take the slot then rather than go back to the
// outbox; one beyond an endpoint not known to be prompt is not.
func TestSlotsTellAPromptEndpointsWaiterWhenOneEnds(t *testing.T) {
	s := newEndpointSlots(1, 4)
	now := time.Unix(1000, 0)
	if ok, _, _ := s.take("m", "warm", now); !ok {
		t.Fatal("warm-up refused")
	}
	if ok, _, freed := s.take("m", "early", now); ok || freed != nil {
		t.Fatalf("beyond the share of an endpoint not known to be prompt: ok %v, freed %v; want put back", ok, freed != nil)
	}
	now = now.Add(5 * time.Millisecond)
	s.release("m", "warm", now) // prompt now: 5 ms
	for i := range 3 {
		if ok, _, _ := s.take("m", fmt.Sprint(i), now); !ok {
			t.Fatalf("attempt %d of a prompt endpoint refused: it may borrow up to 3 of 4", i)
		}
	}
	ok, _, freed := s.take("m", "4th", now)
	if ok || freed == nil {
		t.Fatalf("beyond a prompt endpoint's share: ok %v, freed %v; want refused with a channel to wait on", ok, freed != nil)
	}
	select {
	case <-freed:
		t.Fatal("freed closed while every attempt is in flight")
	default:
	}
	s.release("m", "1", now.Add(time.Millisecond))
	select {
	case <-freed:
	default:
		t.Fatal("freed not closed when an attempt ended")
	}
	if ok, _, _ := s.take("m", "4th", now.Add(time.Millisecond)); !ok {
		t.Fatal("the waiter did not get the slot freed")
	}
}

// An endpoint that answers, slowly, has what it can't take back after
// twice its latency, not after the fifth of the timeout a hanging one
// comes to: before, a merely slow endpoint's deliveries waited 3 to 6 s.
func TestSlotsBringASlowEndpointsDeliveriesBackAfterItsLatency(t *testing.T) {
	s := newEndpointSlots(1, 4)
	now := time.Unix(1000, 0)
	if ok, _, _ := s.take("m", "warm", now); !ok {
		t.Fatal("warm-up refused")
	}
	now = now.Add(150 * time.Millisecond)
	s.release("m", "warm", now) // not prompt: 150 ms
	if ok, _, _ := s.take("m", "1", now); !ok {
		t.Fatal("attempt within the share refused")
	}
	if ok, again, freed := s.take("m", "2", now); ok || freed != nil || again != 300*time.Millisecond {
		t.Fatalf("beyond a slow endpoint's share: ok %v, again %v, freed %v; want put back for 300ms", ok, again, freed != nil)
	}
}
