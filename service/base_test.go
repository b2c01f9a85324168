package service_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/paysync/paysync/internal/testwait"
	"github.com/paysync/paysync/service"
)

// counter is a service that counts its runs and holds each until stopped.
type counter struct {
	service.Base
	runs atomic.Int32
}

func (c *counter) Start(ctx context.Context) {
	c.Go(ctx, func(ctx context.Context) {
		c.runs.Add(1)
		<-ctx.Done()
	})
}

func TestBaseStartStop(t *testing.T) {
	var c counter
	c.Stop() // before Start: nothing to stop, no hang
	stopped := c.Stopped()
	c.Start(context.Background())
	c.Start(context.Background()) // already running: a no-op
	testwait.Signal(t, "started", c.Started())
	testwait.For(t, "the run", func() bool { return c.runs.Load() == 1 })
	if testwait.Never(stopped) {
		t.Fatal("Stopped closed while the service runs")
	}
	c.Stop()
	testwait.Signal(t, "stopped", stopped)
	c.Stop() // again: harmless
	if n := c.runs.Load(); n != 1 {
		t.Fatalf("runs = %d, want 1 (a second Start while running must not run again)", n)
	}

	c.Start(context.Background()) // a stopped service starts again
	testwait.For(t, "the second run", func() bool { return c.runs.Load() == 2 })
	c.Stop()
}

func TestBaseParentContextEndsTheRun(t *testing.T) {
	var c counter
	ctx, cancel := context.WithCancel(context.Background())
	c.Start(ctx)
	stopped := c.Stopped()
	cancel()
	testwait.Signal(t, "the run to end with its parent context", stopped)
}

func TestBaseStartInitRunEndingBeforeUp(t *testing.T) {
	var b service.Base
	_, _, stopped, ok := b.StartInit(context.Background())
	if !ok {
		t.Fatal("StartInit on a new service said it runs already")
	}
	started := b.Started()
	stopped() // the run failed before it was up
	testwait.Signal(t, "started released by a run that ended", started)
	if _, _, _, ok := b.StartInit(context.Background()); !ok {
		t.Fatal("StartInit after the run ended refused a new run")
	}
}

// step records its starts and stops in a shared log.
type step struct {
	name string
	log  *[]string
}

func (s step) Start(context.Context) { *s.log = append(*s.log, "start "+s.name) }
func (s step) Stop()                 { *s.log = append(*s.log, "stop "+s.name) }

func TestGroupStopsInReverse(t *testing.T) {
	var log []string
	g := service.NewGroup(step{"store", &log}, step{"poller", &log})
	g.Add(step{"http", &log})
	g.Start(context.Background())
	g.Stop()
	g.Stop() // stops nothing twice
	want := []string{"start store", "start poller", "start http", "stop http", "stop poller", "stop store"}
	if len(log) != len(want) {
		t.Fatalf("log = %q, want %q", log, want)
	}
	for i := range want {
		if log[i] != want[i] {
			t.Fatalf("log = %q, want %q", log, want)
		}
	}
}

func TestBaseStoppedAfterStopIsClosed(t *testing.T) {
	var c counter
	c.Start(context.Background())
	c.Stop()
	testwait.Signal(t, "Stopped of a stopped service", c.Stopped())
}
