package service_test

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/paysync/paysync/internal/testwait"
	"github.com/paysync/paysync/service"
)

// fakeSource hands out queued ints. Each Claim is reported on claims
// (buffered; a test reads what it needs). failNext makes the next Claims
// fail with errClaim.
type fakeSource struct {
	mu       sync.Mutex
	queue    []int
	limits   []int // the limit of every Claim, in order
	failNext int
	nextDue  func() (time.Time, bool)

	claims chan time.Time // when each Claim happened, on the real clock
}

var _ service.Source[int] = (*fakeSource)(nil)

type claimError struct{}

func (claimError) Error() string { return "claim failed" }

var errClaim error = claimError{}

func newSource(items ...int) *fakeSource {
	return &fakeSource{queue: items, claims: make(chan time.Time, 1000)}
}

// Claim returns up to limit queued items.
func (s *fakeSource) Claim(_ context.Context, limit int, _ time.Duration) ([]int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limits = append(s.limits, limit)
	select {
	case s.claims <- time.Now():
	default:
	}
	if s.failNext > 0 {
		s.failNext--
		return nil, errClaim
	}
	n := min(limit, len(s.queue))
	out := s.queue[:n:n]
	s.queue = s.queue[n:]
	return out, nil
}

// NextDue asks nextDue, if set; else nothing is scheduled.
func (s *fakeSource) NextDue(context.Context) (time.Time, bool, error) {
	s.mu.Lock()
	f := s.nextDue
	s.mu.Unlock()
	if f == nil {
		return time.Time{}, false, nil
	}
	due, ok := f()
	return due, ok, nil
}

// add queues more items.
func (s *fakeSource) add(items ...int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queue = append(s.queue, items...)
}

// claimLimits returns the limit of every Claim so far.
func (s *fakeSource) claimLimits() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]int(nil), s.limits...)
}

// awaitClaim waits for the next Claim and returns when it happened.
func (s *fakeSource) awaitClaim(t *testing.T) time.Time {
	t.Helper()
	return testwait.Signal(t, "a claim", s.claims)
}

// start builds a loop over src and starts it; the test's cleanup stops it.
func start(t *testing.T, src service.Source[int], run func(context.Context, int), cfg service.LoopConfig) *service.Loop[int] {
	t.Helper()
	l, err := service.NewLoop(src, run, cfg)
	if err != nil {
		t.Fatal(err)
	}
	l.Start(t.Context())
	t.Cleanup(l.Stop)
	return l
}

// recordHandler is a slog.Handler that passes every record to records.
type recordHandler struct{ records chan slog.Record }

func newRecorder() (*slog.Logger, <-chan slog.Record) {
	h := recordHandler{records: make(chan slog.Record, 100)}
	return slog.New(h), h.records
}

func (recordHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h recordHandler) Handle(_ context.Context, r slog.Record) error {
	select {
	case h.records <- r.Clone():
	default:
	}
	return nil
}

func (h recordHandler) WithAttrs([]slog.Attr) slog.Handler { return h }

func (h recordHandler) WithGroup(string) slog.Handler { return h }
