package store

import (
	"context"
	"errors"
	"testing"
)

func TestFeedKeepsHighestVersion(t *testing.T) {
	f := NewFeed()
	sub := f.Subscribe("chk_a")
	defer sub.Close()
	other := f.Subscribe("chk_b")
	defer other.Close()
	if _, ok := sub.Latest(); ok {
		t.Fatal("a new subscription has a snapshot")
	}
	f.Publish(Checkout{ID: "chk_a", Version: 3, State: StateSucceeded})
	f.Publish(Checkout{ID: "chk_a", Version: 2, State: StatePending}) // raced out of order
	got, err := sub.Next(context.Background(), 1)
	if err != nil || got.Version != 3 || got.State != StateSucceeded {
		t.Fatalf("Next = v%d %s, %v; want v3 succeeded", got.Version, got.State, err)
	}
	if _, ok := other.Latest(); ok {
		t.Fatal("a subscriber of another checkout was offered chk_a")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := sub.Next(ctx, 3); !errors.Is(err, context.Canceled) {
		t.Fatalf("Next past the newest version with a cancelled context: %v", err)
	}
}

func TestFeedSubscribeAndCloseCount(t *testing.T) {
	f := NewFeed()
	subs := []*Subscription{f.Subscribe("x"), f.Subscribe("x"), f.Subscribe("y")}
	if n := f.Subscribers(); n != 3 {
		t.Fatalf("%d subscribers, want 3", n)
	}
	subs[0].Close()
	subs[0].Close() // idempotent
	if n := f.Subscribers(); n != 2 {
		t.Fatalf("%d subscribers after one Close (twice), want 2", n)
	}
	subs[1].Close()
	subs[2].Close()
	if n, ids := f.Subscribers(), len(f.subs); n != 0 || ids != 0 {
		t.Fatalf("%d subscribers and %d checkout entries left, want none", n, ids)
	}
}

func TestFeedCloseReleasesWaiters(t *testing.T) {
	f := NewFeed()
	sub := f.Subscribe("x")
	defer sub.Close()
	done := make(chan error, 1)
	go func() {
		_, err := sub.Next(context.Background(), 0)
		done <- err
	}()
	f.Close()
	f.Close() // idempotent
	if err := <-done; !errors.Is(err, ErrFeedClosed) {
		t.Fatalf("Next after Close: %v, want ErrFeedClosed", err)
	}
	f.Publish(Checkout{ID: "x", Version: 5}) // ignored once closed
	if _, ok := sub.Latest(); ok {
		t.Fatal("a publish after Close reached a subscriber")
	}
	late := f.Subscribe("x")
	defer late.Close()
	select {
	case <-late.Done():
	default:
		t.Fatal("a subscription taken after Close is not done")
	}
	if n := f.Subscribers(); n != 1 {
		t.Fatalf("%d subscribers, want 1 (the late one is not registered)", n)
	}
}
