package throttle

import (
	"testing"
	"time"
)

// A key is held back after its limit of failures within the window, and
// free again when the window ends; another key is not affected.
func TestFailuresHoldAKeyForTheRestOfItsWindow(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f := New(3, time.Minute, func() time.Time { return now })
	for range 3 {
		if _, held := f.Held("addr:a"); held {
			t.Fatal("held before its limit")
		}
		f.Fail("addr:a")
	}
	wait, held := f.Held("addr:b", "addr:a")
	if !held || wait != time.Minute {
		t.Fatalf("after 3 failures: held %v for %v; want held for the window's minute", held, wait)
	}
	if _, held := f.Held("addr:b"); held {
		t.Fatal("another key is held")
	}
	now = now.Add(time.Minute)
	if _, held := f.Held("addr:a"); held {
		t.Fatal("still held after the window")
	}
}

// The keys remembered are bounded.
func TestFailuresAreBounded(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f := New(3, time.Minute, func() time.Time { return now })
	f.max = 100
	for i := range 1000 {
		now = now.Add(time.Millisecond)
		f.Fail(string(rune('a'+i%26)) + time.Duration(i).String())
	}
	if len(f.keys) > 100 {
		t.Fatalf("%d keys remembered, bound 100", len(f.keys))
	}
}
