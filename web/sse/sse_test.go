package sse

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/paysync/paysync/internal/testwait"
	"github.com/paysync/paysync/store"
)

// frames is a ResponseWriter that hands every frame written to the test.
type frames struct {
	*httptest.ResponseRecorder
	ch chan string
}

func newFrames() *frames {
	return &frames{ResponseRecorder: httptest.NewRecorder(), ch: make(chan string, 16)}
}

func (f *frames) Write(b []byte) (int, error) {
	f.ch <- string(b)
	return len(b), nil
}

func TestOpenAndFrames(t *testing.T) {
	w := httptest.NewRecorder()
	w.Header().Set("Cache-Control", "private, no-cache")
	s := Open(w, 0)
	if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "text/event-stream" ||
		w.Header().Get("X-Accel-Buffering") != "no" || w.Header().Get("Cache-Control") != "private, no-cache" {
		t.Fatalf("status %d, headers %v", w.Code, w.Header())
	}
	for _, err := range []error{s.Event("7", "checkout", `{"id":"chk_a"}`), s.Event("", "version", "3"), s.Comment("resumed")} {
		if err != nil {
			t.Fatal(err)
		}
	}
	want := "id: 7\nevent: checkout\ndata: {\"id\":\"chk_a\"}\n\n" + "event: version\ndata: 3\n\n" + ": resumed\n\n"
	if got := w.Body.String(); got != want {
		t.Fatalf("body %q, want %q", got, want)
	}
}

// follow runs Follow on a new subscription to chk_a after version seen,
// sending each version to the returned channel; done closes when Follow
// returns.
func follow(t *testing.T, ctx context.Context, f *store.Feed, w http.ResponseWriter, seen int64) (sent <-chan store.Checkout, done <-chan struct{}) {
	t.Helper()
	sub := f.Subscribe("chk_a")
	t.Cleanup(sub.Close)
	s := Open(w, 0)
	out, fin := make(chan store.Checkout, 16), make(chan struct{})
	go func() {
		defer close(fin)
		s.Follow(ctx, sub, seen, 1<<62, func(c store.Checkout) (bool, error) {
			out <- c
			return c.State.Terminal(), nil
		})
	}()
	t.Cleanup(func() { testwait.Signal(t, "Follow to return", fin) })
	return out, fin
}

func TestFollowSendsNewerVersionsUntilTheLast(t *testing.T) {
	f := store.NewFeed()
	sent, done := follow(t, context.Background(), f, httptest.NewRecorder(), 2)
	f.Publish(store.Checkout{ID: "chk_a", Version: 2, State: store.StatePending}) // seen already
	f.Publish(store.Checkout{ID: "chk_a", Version: 3, State: store.StateActionRequired})
	if c := testwait.Signal(t, "version 3", sent); c.Version != 3 {
		t.Fatalf("sent version %d first, want 3", c.Version)
	}
	f.Publish(store.Checkout{ID: "chk_a", Version: 4, State: store.StateSucceeded})
	if c := testwait.Signal(t, "version 4", sent); c.Version != 4 {
		t.Fatalf("sent version %d, want 4", c.Version)
	}
	testwait.Signal(t, "Follow to return after the terminal version", done)
}

func TestFollowBeatsBetweenChanges(t *testing.T) {
	f := store.NewFeed()
	w := newFrames()
	sub := f.Subscribe("chk_a")
	defer sub.Close()
	s := Open(w, 0)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Follow(ctx, sub, 0, 1, func(store.Checkout) (bool, error) { return false, nil })
	}()
	if got := testwait.Signal(t, "a heartbeat", w.ch); got != ": heartbeat\n\n" {
		t.Fatalf("wrote %q, want a heartbeat comment", got)
	}
	cancel()
	for {
		select {
		case <-w.ch: // heartbeats written before the cancel was seen
		case <-done:
			return
		}
	}
}

func TestFollowEndsWhenTheFeedCloses(t *testing.T) {
	f := store.NewFeed()
	_, done := follow(t, context.Background(), f, httptest.NewRecorder(), 0)
	f.Close()
	testwait.Signal(t, "Follow to return at shutdown", done)
}

func TestFollowEndsWhenTheClientLeaves(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	_, done := follow(t, ctx, store.NewFeed(), httptest.NewRecorder(), 0)
	cancel()
	testwait.Signal(t, "Follow to return when ctx ends", done)
}
