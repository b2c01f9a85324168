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
		if ok, _ := s.take("m", fmt.Sprint(i), now); !ok {
			t.Fatalf("attempt %d refused within the share", i)
		}
	}
	if ok, again := s.take("m", "x", now); ok || again != minPostpone {
		t.Fatalf("third attempt: ok %v, again %v; want refused, back after %v", ok, again, minPostpone)
	}
	if ok, again := s.take("m", "x", now.Add(time.Second)); ok || again != 2*time.Second {
		t.Fatalf("third attempt a second later: ok %v, again %v; want refused, back after 2s (twice the hanging attempts' age)", ok, again)
	}
	if ok, _ := s.take("other", "o", now); !ok {
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
		if ok, _ := s.take("m", id, now); !ok {
			t.Fatal("warm-up refused")
		}
		now = now.Add(5 * time.Millisecond)
		s.release("m", id, now)
	}
	for i := range 6 {
		if ok, _ := s.take("m", fmt.Sprint(i), now); !ok {
			t.Fatalf("attempt %d of a prompt endpoint refused: it may borrow up to 6 of 8", i)
		}
	}
	ok, again := s.take("m", "7th", now)
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
	if ok, again := s.take("m", "late", now); ok || again != 2*promptAnswer {
		t.Fatalf("with attempts hanging for %v: ok %v, again %v; want held to its share (2 in flight)", promptAnswer, ok, again)
	}
}

// room says whether an endpoint could take one more attempt beyond those
// picked for a pass, and whether it answers promptly: what takeHanded
// defers in memory (a prompt endpoint at its share) and what it hands to
// an attempt (room, or an endpoint not known to be prompt, whose excess
// acquire postpones).
func TestSlotsTellRoomAndPromptness(t *testing.T) {
	s := newEndpointSlots(1, 4)
	now := time.Unix(1000, 0)
	if ok, prompt := s.room("new", 0, now); !ok || prompt {
		t.Fatalf("an endpoint never tried: room %v, prompt %v; want room, not prompt", ok, prompt)
	}
	if ok, _ := s.room("new", 1, now); ok {
		t.Fatal("an endpoint never tried, one picked already: room beyond its share of 1")
	}
	if ok, _ := s.take("m", "warm", now); !ok {
		t.Fatal("warm-up refused")
	}
	if ok, prompt := s.room("m", 0, now); ok || prompt {
		t.Fatalf("an endpoint not known to be prompt at its share: room %v, prompt %v", ok, prompt)
	}
	now = now.Add(5 * time.Millisecond)
	s.release("m", "warm", now) // prompt now: 5 ms
	if ok, prompt := s.room("m", 2, now); !ok || !prompt {
		t.Fatalf("a prompt endpoint with 2 picked of the 3 it may borrow: room %v, prompt %v", ok, prompt)
	}
	if ok, prompt := s.room("m", 3, now); ok || !prompt {
		t.Fatalf("a prompt endpoint with 3 picked: room %v, prompt %v; want none, prompt", ok, prompt)
	}
}

// An endpoint that answers, slowly, has what it can't take back after
// twice its latency, not after the fifth of the timeout a hanging one
// comes to: before, a merely slow endpoint's deliveries waited 3 to 6 s.
func TestSlotsBringASlowEndpointsDeliveriesBackAfterItsLatency(t *testing.T) {
	s := newEndpointSlots(1, 4)
	now := time.Unix(1000, 0)
	if ok, _ := s.take("m", "warm", now); !ok {
		t.Fatal("warm-up refused")
	}
	now = now.Add(150 * time.Millisecond)
	s.release("m", "warm", now) // not prompt: 150 ms
	if ok, _ := s.take("m", "1", now); !ok {
		t.Fatal("attempt within the share refused")
	}
	if ok, again := s.take("m", "2", now); ok || again != 300*time.Millisecond {
		t.Fatalf("beyond a slow endpoint's share: ok %v, again %v; want put back for 300ms", ok, again)
	}
}
