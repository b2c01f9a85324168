package poller

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/paysync/paysync/internal/testwait"
	"github.com/paysync/paysync/store"
)

// TestApplierBatchesWhatFinishesDuringACommit: a check alone commits
// alone; the checks that finish while that commit runs go together in
// the next batch (at most max of them, the rest in the one after), each
// answered with its own outcome, errors included.
func TestApplierBatchesWhatFinishesDuringACommit(t *testing.T) {
	ctx := context.Background()
	release := make(chan struct{})
	var mu sync.Mutex
	var batches [][]string
	a := newApplier(func(_ context.Context, obs []store.Observation) []store.Applied {
		mu.Lock()
		first := len(batches) == 0
		var ids []string
		for _, o := range obs {
			ids = append(ids, o.CheckoutID)
		}
		batches = append(batches, ids)
		mu.Unlock()
		if first {
			<-release // the first commit is slow: the others queue meanwhile
		}
		out := make([]store.Applied, len(obs))
		for i, o := range obs {
			out[i].Checkout = store.Checkout{ID: o.CheckoutID}
			if o.CheckoutID == "stale" {
				out[i] = store.Applied{Err: store.ErrVersionConflict}
			}
		}
		return out
	}, 3)

	type outcome struct {
		id  string
		got store.Checkout
		err error
	}
	outcomes := make(chan outcome, 6)
	apply := func(id string) {
		c, err := a.Apply(ctx, store.Observation{CheckoutID: id})
		outcomes <- outcome{id, c, err}
	}
	go apply("first")
	testwait.For(t, "the first commit to start", func() bool { mu.Lock(); defer mu.Unlock(); return len(batches) == 1 })
	ids := []string{"a", "b", "stale", "c", "d"}
	for _, id := range ids {
		go apply(id)
	}
	testwait.For(t, "the others to queue", func() bool { a.mu.Lock(); defer a.mu.Unlock(); return len(a.queue) == len(ids) })
	close(release)
	for range 1 + len(ids) {
		o := testwait.Signal(t, "an outcome", outcomes)
		switch {
		case o.id == "stale" && !errors.Is(o.err, store.ErrVersionConflict):
			t.Errorf("stale: %v, want ErrVersionConflict", o.err)
		case o.id != "stale" && (o.err != nil || o.got.ID != o.id):
			t.Errorf("%s: got %q, %v", o.id, o.got.ID, o.err)
		}
	}
	mu.Lock()
	var sizes []int
	var all []string
	for _, b := range batches {
		sizes = append(sizes, len(b))
		all = append(all, b...)
	}
	slices.Sort(all)
	if fmt.Sprint(sizes) != "[1 3 2]" || fmt.Sprint(all) != "[a b c d first stale]" {
		t.Errorf("batches %v, want [first] then the 5 others in batches of at most 3", batches)
	}
	mu.Unlock()
	testwait.For(t, "the applier to be idle", func() bool { a.mu.Lock(); defer a.mu.Unlock(); return !a.applying && len(a.queue) == 0 })
}
