package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/paysync/paysync/sandbox"
	"github.com/paysync/paysync/store"
	"github.com/paysync/paysync/store/sqlite"
	"github.com/paysync/paysync/store/sqlite/sqlitetest"
)

// externalFigures are the ingest and read measures of the service in its
// own process, driven by wrk from another: each kind of load against the
// no-op route of the same Echo, in alternating rounds, then an open loop
// of the realistic mix at half the pending-callback rate.
type externalFigures struct {
	noopPost, pending, settled, early, noopGet, reads wrkResult
	open                                              openFigures
	acked, stored                                     int // acknowledged callbacks, and rows found committed after shutdown
	pool, known                                       int
}

// checkLog records, in the sandbox, when each transaction was first asked
// about: the far end of "callback → status check".
type checkLog struct {
	mu      sync.Mutex
	first   map[string]time.Time
	pending int // distinct p-* transactions checked
}

func (l *checkLog) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if id, ok := strings.CutPrefix(r.URL.Path, "/api/gateway/checkout/status/"); ok {
			now := time.Now()
			l.mu.Lock()
			if _, seen := l.first[id]; !seen {
				l.first[id] = now
				if strings.HasPrefix(id, "p-") {
					l.pending++
				}
			}
			l.mu.Unlock()
		}
		h.ServeHTTP(w, r)
	})
}

func (l *checkLog) pendingChecked() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.pending
}

func (l *checkLog) firstCheck(id string) (time.Time, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	t, ok := l.first[id]
	return t, ok
}

// extSetup is the world around the service process: the sandbox PayUnit
// the service checks (in this process, like the load generator), the
// database seeded before the service opens it, and the service itself.
type extSetup struct {
	dir      string
	dbPath   string
	provider *httptest.Server
	checks   *checkLog
	merchant store.CreatedMerchant
	known    []string // ids of settled checkouts s-0…
	child    *child
	keep     bool // leave dir behind (-keep)
}

// poolSize is how many pending checkouts the pending loads may name:
// enough for 15,000 callbacks/s over every pending round and the open loop.
func poolSize(o options) int {
	return max(20_000, int(15_000*(o.duration.Seconds()*1.6)))
}

// setUpExternal seeds a fresh database with one merchant, o.known
// checkouts that settle at start (the settled callbacks' and reads'
// targets) and pool pending checkouts not due for a day (each to be
// named by one callback), starts the service process over it and waits
// for the known checkouts to settle.
func setUpExternal(ctx context.Context, o options, pool int) (*extSetup, error) {
	dir, err := os.MkdirTemp("", "paysync-bench-ext")
	if err != nil {
		return nil, err
	}
	s := &extSetup{dir: dir, dbPath: filepath.Join(dir, "bench.db"), checks: &checkLog{first: map[string]time.Time{}}, keep: o.keep}
	sb := sandbox.NewPayUnit(sandbox.PayUnitConfig{})
	s.provider = httptest.NewServer(s.checks.wrap(sb))
	key := make([]byte, 32)
	rand.Read(key)
	if err := s.seed(ctx, sb, key, o.known, pool); err != nil {
		s.close()
		return nil, err
	}
	if s.child, err = startChild(s.dbPath, filepath.Join(dir, "service.log"), key, o); err != nil {
		s.close()
		return nil, err
	}
	if err := s.waitKnownSettled(ctx, time.Minute); err != nil {
		s.close()
		return nil, err
	}
	return s, nil
}

func (s *extSetup) seed(ctx context.Context, sb *sandbox.PayUnit, key []byte, known, pool int) error {
	b, err := sqlite.Open(ctx, s.dbPath, sqlite.Options{})
	if err != nil {
		return err
	}
	defer b.Close()
	db, err := store.New(b, store.Options{MasterKey: key})
	if err != nil {
		return err
	}
	s.merchant, err = db.CreateMerchant(ctx, store.NewMerchant{Name: "bench", PayUnit: &store.PayUnitAccount{
		BaseURL: s.provider.URL, APIUser: "sandbox", APIPassword: "sandbox", APIKey: "test_sandbox_key", Mode: "test"}})
	if err != nil {
		return err
	}
	paid := func(prefix string, n int) error {
		for i := range n {
			id := sb.Create(sandbox.Payment{TransactionID: fmt.Sprintf("%s-%d", prefix, i), Amount: "10",
				Currency: "XAF", Scenario: sandbox.ScenarioPaysLost})
			if err := sb.SetStatus(id, sandbox.StatusSuccess); err != nil {
				return err
			}
		}
		return nil
	}
	if err := paid("s", known); err != nil {
		return err
	}
	if err := paid("p", pool); err != nil {
		return err
	}
	now := time.Now()
	if s.known, err = sqlitetest.SeedPendingCheckouts(ctx, b, s.merchant.ID, "s", known, func(int) time.Time { return now }); err != nil {
		return err
	}
	later := now.Add(24 * time.Hour)
	_, err = sqlitetest.SeedPendingCheckouts(ctx, b, s.merchant.ID, "p", pool, func(int) time.Time { return later })
	return err
}

// waitKnownSettled reads the known checkouts through the API until each
// is succeeded.
func (s *extSetup) waitKnownSettled(ctx context.Context, d time.Duration) error {
	for _, id := range s.known {
		err := waitUntil(d, "the known checkouts to settle", func() (bool, error) {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.child.base+"/v1/checkouts/"+id, nil)
			if err != nil {
				return false, err
			}
			req.Header.Set("Authorization", "Bearer "+s.merchant.APIKey)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				return false, err
			}
			defer res.Body.Close()
			var ck struct{ State string }
			if err := decodeJSON(res, &ck); err != nil {
				return false, err
			}
			return ck.State == string(store.StateSucceeded), nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// stopService stops the service process and counts the callbacks its
// database holds.
func (s *extSetup) stopService(ctx context.Context) (int, error) {
	if err := s.child.stop(); err != nil {
		return 0, fmt.Errorf("service process: %w", err)
	}
	s.child = nil
	b, err := sqlite.Open(ctx, s.dbPath, sqlite.Options{})
	if err != nil {
		return 0, err
	}
	defer b.Close()
	return sqlitetest.CountNotifications(ctx, b)
}

func (s *extSetup) close() {
	if s.child != nil {
		s.child.stop()
	}
	if s.provider != nil {
		s.provider.Close()
	}
	if s.keep {
		fmt.Fprintf(os.Stderr, "bench: the service's database and log are kept in %s\n", s.dir)
		return
	}
	os.RemoveAll(s.dir)
}

// measureExternal runs the rounds: in each, no-op POST, callbacks naming
// pending checkouts, settled ones, unregistered ones, no-op GET and status
// reads, each for duration/rounds; after a pending round it waits until
// every named checkout was checked, so no check backlog runs into the next
// load. Then the open loop, then it stops the service and checks that
// every acknowledged callback was committed.
func measureExternal(ctx context.Context, o options) (externalFigures, error) {
	f := externalFigures{pool: poolSize(o), known: o.known}
	s, err := setUpExternal(ctx, o, f.pool)
	if err != nil {
		return f, err
	}
	defer s.close()
	w, err := newWrkRunner(s.dir, s.child.base, 2, o.concurrency, s.child.cmd.Process.Pid)
	if err != nil {
		return f, err
	}
	idsFile := filepath.Join(s.dir, "read-ids")
	if err := os.WriteFile(idsFile, []byte(strings.Join(s.known, "\n")+"\n"), 0o600); err != nil {
		return f, err
	}
	hook := "/hooks/payunit/" + s.merchant.HookToken
	per := o.duration / time.Duration(o.rounds)
	pendingBase, earlyBase := 0, 0
	queued := 0 // callbacks acknowledged for registered checkouts so far: an inbox may drain them after the answer
	for range o.rounds {
		loads := []struct {
			into *wrkResult
			load wrkLoad
		}{
			{&f.noopPost, wrkLoad{kind: "noop-post", path: "/noop", base: f.pool}},
			{&f.pending, wrkLoad{kind: "pending", path: hook, base: pendingBase, pool: f.pool}},
			{&f.settled, wrkLoad{kind: "settled", path: hook, pool: len(s.known)}},
			{&f.early, wrkLoad{kind: "early", path: hook, base: earlyBase}},
			{&f.noopGet, wrkLoad{kind: "noop-get", path: "/noop"}},
			{&f.reads, wrkLoad{kind: "read", path: "/v1/checkouts/", idsFile: idsFile, auth: s.merchant.APIKey}},
		}
		for _, l := range loads {
			if !needed(o, l.load.kind) {
				continue
			}
			var settle func(wrkResult) error
			switch l.load.kind {
			case "pending":
				settle = func(r wrkResult) error {
					queued += r.requests
					return errors.Join(waitChecked(s.checks, f.pending.requests+r.requests, 2*time.Minute),
						s.waitDrained(ctx, queued, 2*time.Minute))
				}
			case "settled":
				settle = func(r wrkResult) error {
					queued += r.requests
					return s.waitDrained(ctx, queued, 2*time.Minute)
				}
			}
			r, err := w.run(ctx, per, l.load, settle)
			if err != nil {
				return f, err
			}
			if r.statusErrors+r.socketErrors > 0 {
				return f, fmt.Errorf("%s: %d answers not 2xx, %d socket errors (service log: %s)",
					l.load.kind, r.statusErrors, r.socketErrors, filepath.Join(s.dir, "service.log"))
			}
			*l.into = l.into.add(r)
			switch l.load.kind {
			case "pending":
				pendingBase += r.maxK * w.threads
				if pendingBase > f.pool {
					return f, fmt.Errorf("the pending loads named %d checkouts, more than the %d seeded (poolSize)", pendingBase, f.pool)
				}
			case "early":
				earlyBase += r.maxK * w.threads
			}
		}
	}
	if rate := cmp.Or(o.openRate, f.pending.rate()/2); o.drives("open") && rate > 0 {
		if f.open, err = runOpenLoop(ctx, s, o, rate, pendingBase, f.pool); err != nil {
			return f, err
		}
	}
	f.acked = f.pending.requests + f.settled.requests + f.early.requests + f.open.acked
	if f.stored, err = s.stopService(ctx); err != nil {
		return f, err
	}
	if f.stored < f.acked {
		return f, fmt.Errorf("%d callbacks acknowledged but only %d stored", f.acked, f.stored)
	}
	return f, nil
}

// needed reports whether the load of kind runs: a baseline runs when a
// load compared with it does.
func needed(o options, kind string) bool {
	switch kind {
	case "noop-post":
		return o.drives("noop") || o.drives("pending") || o.drives("settled") || o.drives("early")
	case "noop-get":
		return o.drives("read")
	}
	return o.drives(kind)
}

// waitDrained waits until the service's inbox drained n callbacks in all
// (paysync_inbox_drained_total in /metrics); a service without that
// counter processes every callback before its answer.
func (s *extSetup) waitDrained(ctx context.Context, n int, d time.Duration) error {
	return waitUntil(d, fmt.Sprintf("the inbox to drain %d callbacks", n), func() (bool, error) {
		v, ok, err := metricValue(ctx, s.child.base, "paysync_inbox_drained_total")
		return !ok || v >= float64(n), err
	})
}

// metricValue reads one unlabelled sample of the service's /metrics.
func metricValue(ctx context.Context, base, name string) (float64, bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/metrics", nil)
	if err != nil {
		return 0, false, err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, false, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return 0, false, err
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return f, err == nil, err
		}
	}
	return 0, false, nil
}

// waitChecked waits until the sandbox was asked about n distinct pending
// checkouts.
func waitChecked(l *checkLog, n int, d time.Duration) error {
	return waitUntil(d, fmt.Sprintf("status checks of %d pending checkouts named by callbacks", n), func() (bool, error) {
		return l.pendingChecked() >= n, nil
	})
}
