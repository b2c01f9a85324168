package cluster_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/paysync/paysync/cluster"
	"github.com/paysync/paysync/internal/testwait"
	"github.com/paysync/paysync/service"
	"github.com/paysync/paysync/store"
)

// fakeInstances hands Live's transition function to the test and counts
// the looks; ReleaseGone hands back what gone holds once.
type fakeInstances struct {
	session  chan func(string)
	mu       sync.Mutex
	gone     store.Released
	looks    int
	handedBy []string
}

var _ cluster.LivenessStore = (*fakeInstances)(nil)

func (s *fakeInstances) Live(ctx context.Context, fn func(string)) error {
	s.session <- fn
	<-ctx.Done()
	return nil
}

func (s *fakeInstances) ReleaseGone(context.Context) (store.Released, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.looks++
	r := s.gone
	s.gone = store.Released{}
	return r, nil
}

func (s *fakeInstances) ReleaseClaims(_ context.Context, instance string) (store.Released, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.handedBy = append(s.handedBy, instance)
	return store.Released{Checks: 1}, nil
}

func (s *fakeInstances) OldestClaims(context.Context) (time.Duration, time.Duration, error) {
	return 3 * time.Second, 0, nil
}

func (s *fakeInstances) lookCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.looks
}

// The liveness service logs each loss and each return of the session
// once, wakes the workers when the session is back, looks for gone
// instances only while live (counting what it took over), and hands its
// own claims back at Stop.
func TestLivenessTransitionsAndTakeover(t *testing.T) {
	st := &fakeInstances{session: make(chan func(string), 1), gone: store.Released{Instances: 1, Checks: 2, Deliveries: 3}}
	var logs syncBuf
	reg := prometheus.NewRegistry()
	wakes, sends := service.NewSignal(), service.NewSignal()
	l, err := cluster.NewLiveness(st, cluster.LivenessConfig{Every: time.Millisecond, Wake: wakes.Notify, Send: sends.Notify,
		Logger: slog.New(slog.NewTextHandler(&logs, nil)), Metrics: reg})
	if err != nil {
		t.Fatal(err)
	}
	l.Start(context.Background())
	transition := testwait.Signal(t, "the session to be asked for", st.session)
	if st.lookCount() != 0 {
		t.Fatal("looked for gone instances before being live")
	}
	transition("inst-1")
	testwait.Signal(t, "the poller's wake", wakes)
	testwait.Signal(t, "the dispatcher's wake", sends)
	testwait.For(t, "the gone instance's claims to be taken over", func() bool {
		return takenOver(t, reg, "delivery") == 3
	})
	if got := takenOver(t, reg, "check"); got != 2 {
		t.Fatalf("checks taken over = %v, want 2", got)
	}
	transition("")
	looks := st.lookCount()
	transition("inst-2")
	testwait.For(t, "a look after the return", func() bool { return st.lookCount() > looks })
	l.Stop()
	if len(st.handedBy) != 1 || st.handedBy[0] != "inst-2" {
		t.Fatalf("handed back by %v; want the current instance, once", st.handedBy)
	}
	for event, want := range map[string]int{"liveness_up": 1, "liveness_lost": 1, "liveness_regained": 1, "claims_taken_over": 1, "claims_handed_back": 1} {
		if got := logs.count("event=" + event); got != want {
			t.Errorf("%d %s log lines, want %d:\n%s", got, event, want, logs.String())
		}
	}
}

// syncBuf is a log destination the service's goroutines write to.
type syncBuf struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuf) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuf) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *syncBuf) count(s string) int { return strings.Count(b.String(), s) }

// takenOver reads paysync_claims_taken_over_total{kind} from reg.
func takenOver(t *testing.T, reg *prometheus.Registry, kind string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "paysync_claims_taken_over_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "kind" && l.GetValue() == kind {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	t.Fatalf("no paysync_claims_taken_over_total{kind=%q}", kind)
	return 0
}
