package main

import (
	"context"
	"fmt"
	mrand "math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	paysync "github.com/paysync/paysync/internal/app"
	"github.com/paysync/paysync/sandbox"
	"github.com/paysync/paysync/store"
	"github.com/paysync/paysync/store/postgres"
	"github.com/paysync/paysync/store/postgres/pgtest"
)

// scaleOutFigures are the scale-out measure's (issue 21): one backlog of
// due checkouts, several merchants', drained by 1, 2 and 3 instances on
// one PostgreSQL database while the sandbox answers each status check
// after a provider's latency; checks/s should grow with the instances,
// and each merchant's shared budget hold.
type scaleOutFigures struct {
	ran               bool
	pending, merchant int
	rate              float64 // each merchant's budget, checks/s
	latMin, latMax    time.Duration
	rows              []scaleOutRow
}

// scaleOutRow is one drain.
type scaleOutRow struct {
	instances int
	checksPS  float64 // checks/s from the due moment to the last settlement
	maxSecond int     // the most checks one merchant got in one wall-clock second
	took      time.Duration
}

// latencyLog delays every status check by a latency drawn in [min, max)
// and counts, per merchant (the reference's prefix) and wall-clock
// second, the checks that reached it.
type latencyLog struct {
	min, max time.Duration
	mu       sync.Mutex
	perSec   map[string]map[int64]int
}

func (l *latencyLog) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if id, ok := strings.CutPrefix(r.URL.Path, "/api/gateway/checkout/status/"); ok {
			merchant, _, _ := strings.Cut(id, "-")
			sec := time.Now().Unix()
			l.mu.Lock()
			if l.perSec[merchant] == nil {
				l.perSec[merchant] = map[int64]int{}
			}
			l.perSec[merchant][sec]++
			l.mu.Unlock()
			d := l.min
			if l.max > l.min {
				d += time.Duration(mrand.Int64N(int64(l.max - l.min)))
			}
			select {
			case <-time.After(d):
			case <-r.Context().Done():
				return
			}
		}
		h.ServeHTTP(w, r)
	})
}

// maxPerSecond returns the most checks one merchant got in a second, and
// forgets the counts.
func (l *latencyLog) maxPerSecond() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	most := 0
	for _, secs := range l.perSec {
		for _, n := range secs {
			most = max(most, n)
		}
	}
	l.perSec = map[string]map[int64]int{}
	return most
}

// measureScaleOut drains o.scaleOutPending paid checkouts of
// o.scaleOutMerchants merchants, all due at once, with 1, 2 and 3
// instances (each o.pollConcurrency checks in flight) on a fresh database
// each, the sandbox answering every check after o.checkLatency.
func measureScaleOut(ctx context.Context, o options) (scaleOutFigures, error) {
	f := scaleOutFigures{ran: true, pending: o.scaleOutPending, merchant: o.scaleOutMerchants, rate: o.scaleOutRate,
		latMin: o.latMin, latMax: o.latMax}
	admin, stop, err := benchPostgres(o)
	if err != nil {
		return f, err
	}
	defer stop()
	lat := &latencyLog{min: o.latMin, max: o.latMax, perSec: map[string]map[int64]int{}}
	pu := sandbox.NewPayUnit(sandbox.PayUnitConfig{})
	provider := httptest.NewServer(lat.wrap(pu))
	defer provider.Close()
	for n := 1; n <= 3; n++ {
		lat.maxPerSecond() // forget the seeding
		r, err := drainScaleOut(ctx, o, admin, pu, provider.URL, n)
		if err != nil {
			return f, fmt.Errorf("%d instances: %w", n, err)
		}
		r.maxSecond = lat.maxPerSecond()
		f.rows = append(f.rows, r)
	}
	return f, nil
}

// drainScaleOut is one row of measureScaleOut.
func drainScaleOut(ctx context.Context, o options, admin string, pu *sandbox.PayUnit, providerURL string, n int) (scaleOutRow, error) {
	row := scaleOutRow{instances: n}
	dbURL, drop, err := freshDatabase(ctx, admin)
	if err != nil {
		return row, err
	}
	defer drop()
	b, err := postgres.Open(ctx, dbURL, postgres.Options{})
	if err != nil {
		return row, err
	}
	db, err := store.New(b, store.Options{MasterKey: make([]byte, 32)})
	if err != nil {
		b.Close()
		return row, err
	}
	at := time.Now().Add(3 * time.Second)
	per := o.scaleOutPending / o.scaleOutMerchants
	for m := range o.scaleOutMerchants {
		mc, err := db.CreateMerchant(ctx, store.NewMerchant{Name: fmt.Sprintf("m%d", m), PayUnit: &store.PayUnitAccount{
			BaseURL: providerURL, APIUser: "sandbox", APIPassword: "sandbox", APIKey: "test_sandbox_key", Mode: "test"}})
		if err != nil {
			db.Close()
			return row, err
		}
		prefix := fmt.Sprintf("so%dm%d", n, m) // the latency log's merchant: up to the first '-'
		for i := range per {
			id := pu.Create(sandbox.Payment{TransactionID: fmt.Sprintf("%s-%d", prefix, i), Amount: "10", Currency: "XAF", Scenario: sandbox.ScenarioPaysLost})
			if err := pu.SetStatus(id, sandbox.StatusSuccess); err != nil {
				db.Close()
				return row, err
			}
		}
		if _, err := pgtest.SeedPendingCheckouts(ctx, dbURL, mc.ID, prefix, per, func(int) time.Time { return at }); err != nil {
			db.Close()
			return row, err
		}
	}
	db.Close()
	var c counter
	var apps []*paysync.App
	defer func() {
		for _, a := range apps {
			a.Shutdown()
		}
	}()
	so := o
	so.merchantRate = rate.Limit(o.scaleOutRate)
	for range n {
		a, err := startShared(ctx, so, dbURL, c.onChange)
		if err != nil {
			return row, err
		}
		apps = append(apps, a)
	}
	total := per * o.scaleOutMerchants
	if err := waitUntil(10*time.Minute, fmt.Sprintf("%d settlements on %d instances", total, n), func() (bool, error) {
		got, _ := c.get()
		return got >= total, nil
	}); err != nil {
		return row, err
	}
	_, last := c.get()
	row.took = last.Sub(at)
	row.checksPS = float64(total) / row.took.Seconds()
	return row, nil
}
