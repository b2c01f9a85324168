package notify

import (
	"fmt"
	"testing"
	"time"
)

// An endpoint not known to answer promptly is held to its share, and what
// it can't take comes back after the default wait (again 0).
func TestSlotsHoldAnUnknownEndpointToItsShare(t *testing.T) {
	s := newEndpointSlots(2, 8)
	now := time.Unix(1000, 0)
	for i := range 2 {
		if ok, _, _ := s.take("m", fmt.Sprint(i), now); !ok {
			t.Fatalf("attempt %d refused within the share", i)
		}
	}
	if ok, again, _ := s.take("m", "x", now); ok || again != 0 {
		t.Fatalf("third attempt: ok %v, again %v; want refused with the default wait", ok, again)
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
	if ok, again, _ := s.take("m", "late", now); ok || again != 0 {
		t.Fatalf("with attempts hanging for %v: ok %v, again %v; want held to its share (2 in flight)", promptAnswer, ok, again)
	}
}
