package main

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/paysync/paysync/sandbox"

	"github.com/paysync/paysync/store/sqlite/sqlitetest"
)

// seedPaid seeds n pending checkouts due at due(i) whose PayUnit payments
// (transaction id = reference) already succeeded, so each first check
// settles its checkout. It returns the checkout ids.
func seedPaid(ctx context.Context, s *service, prefix string, n int, due func(i int) time.Time) ([]string, error) {
	for i := range n {
		id := s.sandbox.Create(sandbox.Payment{TransactionID: fmt.Sprintf("%s-%d", prefix, i), Amount: "10",
			Currency: "XAF", Scenario: sandbox.ScenarioPaysLost})
		if err := s.sandbox.SetStatus(id, sandbox.StatusSuccess); err != nil {
			return nil, err
		}
	}
	return sqlitetest.SeedPendingCheckouts(ctx, s.backend, s.merchant.ID, prefix, n, due)
}

// waitSettled waits until at least want settlements were committed.
func waitSettled(s *service, want int, d time.Duration) error {
	return waitUntil(d, fmt.Sprintf("%d settlements", want), func() (bool, error) {
		n, _ := s.probe.settlements()
		return n >= want, nil
	})
}

// pollerFigures are the poller measurements.
type pollerFigures struct {
	drained                 int
	drainRate               float64       // checks/s emptying a backlog that is all due at once
	drainCPU                time.Duration // process CPU per check while draining (provider fake included)
	lateN                   int
	dueRate                 float64 // planned due times per second in the lateness run
	lateRate                float64 // checks/s achieved in the lateness run
	late50, late99, lateMax time.Duration
}

// measurePoller first drains o.pending checkouts that become due at the
// same moment (throughput), then checks o.dueRate×o.lateFor checkouts
// whose due times are spread evenly (lateness = check start − due time).
func measurePoller(ctx context.Context, s *service, o options) (pollerFigures, error) {
	var f pollerFigures
	settled0, _ := s.probe.settlements()
	// All due at one moment, a little after seeding should end.
	at := time.Now().Add(time.Second + time.Duration(o.pending)*20*time.Microsecond)
	ids, err := seedPaid(ctx, s, "drain", o.pending, func(int) time.Time { return at })
	if err != nil {
		return f, err
	}
	s.probe.plan(ids, func(int) time.Time { return at })
	s.poller.Wake()
	cpu0 := processCPU()
	if err := waitSettled(s, settled0+len(ids), 10*time.Minute); err != nil {
		return f, err
	}
	f.drainCPU = (processCPU() - cpu0) / time.Duration(len(ids))
	tracked, first, _, _ := s.probe.snapshot()
	_, end := s.probe.settlements()
	f.drained = tracked
	f.drainRate = float64(tracked) / end.Sub(first).Seconds()

	// Spread due times at dueRate.
	settled1, _ := s.probe.settlements()
	f.dueRate = o.dueRate
	f.lateN = int(o.dueRate * o.lateFor.Seconds())
	step := time.Duration(float64(time.Second) / o.dueRate)
	start := time.Now().Add(time.Second + time.Duration(f.lateN)*20*time.Microsecond)
	due := func(i int) time.Time { return start.Add(time.Duration(i) * step) }
	ids, err = seedPaid(ctx, s, "late", f.lateN, due)
	if err != nil {
		return f, err
	}
	s.probe.plan(ids, due)
	s.poller.Wake()
	if err := waitSettled(s, settled1+len(ids), 10*time.Minute); err != nil {
		return f, err
	}
	tracked, first, _, late := s.probe.snapshot()
	_, end = s.probe.settlements()
	if tracked != len(ids) {
		return f, fmt.Errorf("poller: %d of %d planned checkouts checked", tracked, len(ids))
	}
	f.lateRate = float64(tracked) / end.Sub(first).Seconds()
	slices.Sort(late)
	f.late50, f.late99, f.lateMax = percentile(late, 50), percentile(late, 99), late[len(late)-1].Round(10*time.Microsecond)
	return f, nil
}
