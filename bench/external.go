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
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/paysync/paysync/sandbox"
	"github.com/paysync/paysync/store"
	"github.com/paysync/paysync/store/postgres"
	"github.com/paysync/paysync/store/postgres/pgtest"
	"github.com/paysync/paysync/store/sqlite"
	"github.com/paysync/paysync/store/sqlite/sqlitetest"
)

// externalFigures are the ingest and read measures of the service in its
// own process, driven by wrk from another: each kind of load against the
// no-op route of the same Echo, in alternating rounds, then an open loop
// of the realistic mix at half the pending-callback rate.
type externalFigures struct {
	backend                                           string // "sqlite" or "postgres"
	noopPost, pending, settled, early, noopGet, reads wrkResult
	open                                              openFigures
	acked, stored                                     int           // acknowledged callbacks, and rows found committed after shutdown
	hooks                                             int           // pending checkouts whose webhook the merchant received, verified
	hookWait                                          time.Duration // waited after the pending loads' checks for their webhooks
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
	backend  string // "sqlite" or "postgres"
	dir      string
	dbPath   string // the SQLite file, or the PostgreSQL database's URL
	drop     func() // drops the PostgreSQL database
	provider *httptest.Server
	checks   *checkLog
	hooks    *webhookSink // the merchant's webhook endpoint
	merchant store.CreatedMerchant
	known    []string // ids of settled checkouts s-0…
	pool     []string // ids of pending checkouts p-0…, in order
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
func setUpExternal(ctx context.Context, o options, backend, pgAdmin string, pool int) (*extSetup, error) {
	dir, err := os.MkdirTemp("", "paysync-bench-ext-"+backend)
	if err != nil {
		return nil, err
	}
	s := &extSetup{backend: backend, dir: dir, dbPath: filepath.Join(dir, "bench.db"), checks: &checkLog{first: map[string]time.Time{}},
		hooks: newWebhookSink(), keep: o.keep}
	if backend == "postgres" {
		if s.dbPath, s.drop, err = freshDatabase(ctx, pgAdmin); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	sb := sandbox.NewPayUnit(sandbox.PayUnitConfig{})
	s.provider = httptest.NewServer(s.checks.wrap(sb))
	key := make([]byte, 32)
	rand.Read(key)
	if err := s.seed(ctx, sb, key, o.known, pool); err != nil {
		s.close()
		return nil, err
	}
	serveDB := s.dbPath
	if extra := os.Getenv("PAYSYNC_BENCH_PG_PARAMS"); extra != "" && backend == "postgres" {
		serveDB += "&" + extra // the service's pool settings (pgxpool's pool_max_conns…), for experiments
	}
	if s.child, err = startChild(serveDB, filepath.Join(dir, "service.log"), key, o); err != nil {
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
	var b store.Backend
	var err error
	if s.backend == "postgres" {
		b, err = postgres.Open(ctx, s.dbPath, postgres.Options{})
	} else {
		b, err = sqlite.Open(ctx, s.dbPath, sqlite.Options{})
	}
	if err != nil {
		return err
	}
	defer b.Close()
	db, err := store.New(b, store.Options{MasterKey: key})
	if err != nil {
		return err
	}
	s.merchant, err = db.CreateMerchant(ctx, store.NewMerchant{Name: "bench", WebhookURL: s.hooks.srv.URL + "/paysync",
		PayUnit: &store.PayUnitAccount{BaseURL: s.provider.URL, APIUser: "sandbox", APIPassword: "sandbox", APIKey: "test_sandbox_key", Mode: "test"}})
	if err != nil {
		return err
	}
	if err := s.hooks.setSecret(s.merchant.WebhookSecret); err != nil {
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
	later := now.Add(24 * time.Hour)
	if pb, ok := b.(*sqlite.Backend); ok {
		if s.known, err = sqlitetest.SeedPendingCheckouts(ctx, pb, s.merchant.ID, "s", known, func(int) time.Time { return now }); err != nil {
			return err
		}
		s.pool, err = sqlitetest.SeedPendingCheckouts(ctx, pb, s.merchant.ID, "p", pool, func(int) time.Time { return later })
		return err
	}
	if s.known, err = pgtest.SeedPendingCheckouts(ctx, s.dbPath, s.merchant.ID, "s", known, func(int) time.Time { return now }); err != nil {
		return err
	}
	s.pool, err = pgtest.SeedPendingCheckouts(ctx, s.dbPath, s.merchant.ID, "p", pool, func(int) time.Time { return later })
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
	if s.backend == "postgres" {
		conn, err := pgx.Connect(ctx, s.dbPath)
		if err != nil {
			return 0, err
		}
		defer conn.Close(ctx)
		var n int
		err = conn.QueryRow(ctx, `SELECT coalesce(sum(repeats), 0) FROM notifications`).Scan(&n) // a folded repeat counts
		return n, err
	}
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
	s.hooks.close()
	if s.keep {
		fmt.Fprintf(os.Stderr, "bench: the service's database (%s) and log are kept in %s\n", s.dbPath, s.dir)
		return
	}
	if s.drop != nil {
		s.drop()
	}
	os.RemoveAll(s.dir)
}

// measureExternal runs the rounds on each backend of o.backends, a
// service process each (all started before the first round, so that the
// backends alternate within every round): in each round, no-op POST,
// callbacks naming pending checkouts, settled ones, unregistered ones,
// no-op GET and status reads, each for duration/rounds and each on every
// backend in turn; after a pending round it waits until every named
// checkout was checked, so no check backlog runs into the next load. Then
// the open loop on each, then it stops the services and checks that every
// acknowledged callback was committed.
func measureExternal(ctx context.Context, o options) ([]externalFigures, error) {
	var pgAdmin string
	if slices.Contains(o.backends, "postgres") {
		var stop func()
		var err error
		if pgAdmin, stop, err = benchPostgres(o); err != nil {
			return nil, err
		}
		defer stop()
	}
	var sides []*extSide
	defer func() {
		for _, sd := range sides {
			sd.s.close()
		}
	}()
	for _, backend := range o.backends {
		sd := &extSide{f: externalFigures{backend: backend, pool: poolSize(o), known: o.known}}
		s, err := setUpExternal(ctx, o, backend, pgAdmin, sd.f.pool)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", backend, err)
		}
		sd.s = s
		sides = append(sides, sd)
		if sd.w, err = newWrkRunner(s.dir, s.child.base, 2, o.concurrency, s.child.cmd.Process.Pid); err != nil {
			return nil, err
		}
		if backend == "postgres" && o.postgres == "" { // the throwaway cluster runs here: its CPU counts
			if sd.w.dbCPU, err = postgresCPU(ctx, pgAdmin); err != nil {
				return nil, err
			}
		}
		sd.idsFile = filepath.Join(s.dir, "read-ids")
		if err := os.WriteFile(sd.idsFile, []byte(strings.Join(s.known, "\n")+"\n"), 0o600); err != nil {
			return nil, err
		}
	}
	per := o.duration / time.Duration(o.rounds)
	kinds := []string{"noop-post", "pending", "settled", "early", "noop-get", "read"}
	for range o.rounds {
		for _, kind := range kinds {
			if !needed(o, kind) {
				continue
			}
			for _, sd := range sides {
				if err := sd.runLoad(ctx, kind, per); err != nil {
					return nil, fmt.Errorf("%s: %w", sd.f.backend, err)
				}
			}
		}
	}
	var out []externalFigures
	for _, sd := range sides {
		f, s := &sd.f, sd.s
		if rate := cmp.Or(o.openRate, f.pending.rate()/2); o.drives("open") && rate > 0 {
			var err error
			if f.open, err = runOpenLoop(ctx, s, o, rate, sd.pendingBase, f.pool); err != nil {
				return nil, fmt.Errorf("%s: %w", f.backend, err)
			}
		}
		f.acked = f.pending.requests + f.settled.requests + f.early.requests + f.open.acked
		var err error
		if f.stored, err = s.stopService(ctx); err != nil {
			return nil, fmt.Errorf("%s: %w", f.backend, err)
		}
		if f.stored < f.acked {
			return nil, fmt.Errorf("%s: %d callbacks acknowledged but only %d stored", f.backend, f.acked, f.stored)
		}
		if bad, n := s.hooks.refused(); bad > 0 {
			return nil, fmt.Errorf("%s: %d of %d webhook deliveries failed the merchant's signature check", f.backend, bad, n)
		}
		f.hooks = s.hooks.pendingDelivered()
		out = append(out, *f)
	}
	if o.pgStats && pgAdmin != "" {
		if err := printTopStatements(ctx, pgAdmin, os.Stderr); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// printTopStatements writes the 15 statements that took the most time on
// the server, planning and execution (pg_stat_statements, all databases).
func printTopStatements(ctx context.Context, admin string, w io.Writer) error {
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `CREATE EXTENSION IF NOT EXISTS pg_stat_statements`); err != nil {
		return fmt.Errorf("pg_stat_statements (start the cluster with -pg-stats, or load it in -postgres's): %w", err)
	}
	rows, err := conn.Query(ctx, `SELECT calls, total_exec_time, mean_exec_time, total_plan_time, rows, regexp_replace(query, '\s+', ' ', 'g')
		FROM pg_stat_statements ORDER BY total_exec_time + total_plan_time DESC LIMIT 15`)
	if err != nil {
		return err
	}
	defer rows.Close()
	fmt.Fprintln(w, "bench: PostgreSQL statements by total time (calls, total execution ms, mean ms, total planning ms, rows, statement):")
	for rows.Next() {
		var calls, n int64
		var total, mean, plan float64
		var q string
		if err := rows.Scan(&calls, &total, &mean, &plan, &n, &q); err != nil {
			return err
		}
		fmt.Fprintf(w, "  %8d %9.0f %7.3f %9.0f %8d  %.220s\n", calls, total, mean, plan, n, q)
	}
	return rows.Err()
}

// extSide is one backend's service under the ingest measure, and what
// its rounds measured so far.
type extSide struct {
	f                              externalFigures
	s                              *extSetup
	w                              *wrkRunner
	idsFile                        string
	pendingBase, earlyBase, queued int // pending and early names used; callbacks for registered checkouts acknowledged (an inbox may drain them after the answer)
}

// runLoad runs one round's load of kind on this side's service.
func (sd *extSide) runLoad(ctx context.Context, kind string, per time.Duration) error {
	f, s := &sd.f, sd.s
	hook := "/hooks/payunit/" + s.merchant.HookToken
	var into *wrkResult
	var load wrkLoad
	var settle func(wrkResult) error
	switch kind {
	case "noop-post":
		into, load = &f.noopPost, wrkLoad{kind: kind, path: "/noop", base: f.pool}
	case "pending":
		into, load = &f.pending, wrkLoad{kind: kind, path: hook, base: sd.pendingBase, pool: f.pool}
		settle = func(r wrkResult) error {
			sd.queued += r.requests
			return errors.Join(waitChecked(s.checks, f.pending.requests+r.requests, 2*time.Minute),
				s.waitDrained(ctx, sd.queued, 2*time.Minute))
		}
	case "settled":
		into, load = &f.settled, wrkLoad{kind: kind, path: hook, pool: len(s.known)}
		settle = func(r wrkResult) error {
			sd.queued += r.requests
			return s.waitDrained(ctx, sd.queued, 2*time.Minute)
		}
	case "early":
		into, load = &f.early, wrkLoad{kind: kind, path: hook, base: sd.earlyBase}
	case "noop-get":
		into, load = &f.noopGet, wrkLoad{kind: kind, path: "/noop"}
	case "read":
		into, load = &f.reads, wrkLoad{kind: kind, path: "/v1/checkouts/", idsFile: sd.idsFile, auth: s.merchant.APIKey}
	default:
		return fmt.Errorf("no load %q", kind)
	}
	r, err := sd.w.run(ctx, per, load, settle)
	if err != nil {
		return err
	}
	if r.statusErrors+r.socketErrors > 0 {
		return fmt.Errorf("%s: %d answers not 2xx, %d socket errors (service log: %s)",
			kind, r.statusErrors, r.socketErrors, filepath.Join(s.dir, "service.log"))
	}
	*into = into.add(r)
	switch kind {
	case "pending":
		// Then the webhooks of the transitions it caused, outside its
		// figures (the row is "sustained with their checks"), so that no
		// delivery backlog runs into the next load: timed on its own.
		t := time.Now()
		if err := waitDelivered(s.hooks, f.pending.requests, 5*time.Minute); err != nil {
			return err
		}
		f.hookWait += time.Since(t)
		sd.pendingBase += r.maxK * sd.w.threads
		if sd.pendingBase > f.pool {
			return fmt.Errorf("the pending loads named %d checkouts, more than the %d seeded (poolSize)", sd.pendingBase, f.pool)
		}
	case "early":
		sd.earlyBase += r.maxK * sd.w.threads
	}
	return nil
}

// benchPostgres returns the admin URL of the PostgreSQL server the
// measures use: -postgres's, or a throwaway cluster started here (with
// pg_stat_statements loaded when -pg-stats asks), and what stops it.
func benchPostgres(o options) (string, func(), error) {
	if o.postgres != "" {
		return o.postgres, func() {}, nil
	}
	var settings []string
	if o.pgStats {
		settings = append(settings, "shared_preload_libraries=pg_stat_statements", "pg_stat_statements.track=all",
			"pg_stat_statements.track_planning=on") // customPlan plans the claims and counts at every run
	}
	srv, err := pgtest.StartCluster(settings...)
	if err != nil {
		return "", nil, fmt.Errorf("start a throwaway PostgreSQL cluster (or pass -postgres): %w", err)
	}
	return srv.URL, srv.Stop, nil
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

// waitDelivered waits until the merchant's endpoint received a verified
// webhook about n distinct pending checkouts.
func waitDelivered(k *webhookSink, n int, d time.Duration) error {
	return waitUntil(d, fmt.Sprintf("webhooks about %d pending checkouts named by callbacks", n), func() (bool, error) {
		return k.pendingDelivered() >= n, nil
	})
}

// waitChecked waits until the sandbox was asked about n distinct pending
// checkouts.
func waitChecked(l *checkLog, n int, d time.Duration) error {
	return waitUntil(d, fmt.Sprintf("status checks of %d pending checkouts named by callbacks", n), func() (bool, error) {
		return l.pendingChecked() >= n, nil
	})
}
