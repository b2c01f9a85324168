package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net/http/httptest"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/time/rate"

	paysync "github.com/paysync/paysync/internal/app"
	"github.com/paysync/paysync/sandbox"
	"github.com/paysync/paysync/store"
	"github.com/paysync/paysync/store/postgres"
	"github.com/paysync/paysync/store/postgres/pgtest"
)

// sharedFigures are the PostgreSQL measurements: draining one backlog of
// due checkouts with 1, 2 and 3 instances on one database, and callback
// ingest on PostgreSQL beside SQLite.
type sharedFigures struct {
	ran        bool
	pending    int
	drainRates []float64 // checks/s with 1, 2, 3 instances
	sqlite, pg result    // closed-loop callback ingest, alternating rounds
}

// counter counts terminal checkouts committed by the instances it watches.
type counter struct {
	mu   sync.Mutex
	n    int
	last time.Time
}

func (c *counter) onChange(ck store.Checkout) {
	if ck.State.Terminal() {
		c.mu.Lock()
		c.n++
		c.last = time.Now()
		c.mu.Unlock()
	}
}

func (c *counter) get() (int, time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n, c.last
}

// freshDatabase creates a database on the server of admin and returns its URL.
func freshDatabase(ctx context.Context, admin string) (string, func(), error) {
	b := make([]byte, 5)
	rand.Read(b)
	name := "paysync_bench_" + hex.EncodeToString(b)
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return "", nil, err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `CREATE DATABASE `+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", nil, err
	}
	u, err := url.Parse(admin)
	if err != nil {
		return "", nil, err
	}
	u.Path = "/" + name
	drop := func() {
		conn, err := pgx.Connect(context.Background(), admin)
		if err == nil {
			conn.Exec(context.Background(), `DROP DATABASE IF EXISTS `+pgx.Identifier{name}.Sanitize()+` WITH (FORCE)`)
			conn.Close(context.Background())
		}
	}
	return u.String(), drop, nil
}

// startShared starts an instance of the whole service on dbURL.
func startShared(ctx context.Context, o options, dbURL string, onChange func(store.Checkout)) (*paysync.App, error) {
	return paysync.Start(ctx, paysync.Config{Addr: "127.0.0.1:0", DB: dbURL, MasterKey: make([]byte, 32), AllowPrivateURLs: true,
		PollGrace: o.pollGrace, PollMinInterval: o.pollMin, PollMaxInterval: o.pollMax,
		Logger:   slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo})),
		OnChange: onChange, Routes: noopRoutes, PollerConcurrency: o.pollConcurrency, MerchantRate: cmp.Or(o.merchantRate, rate.Inf),
		MerchantBurst: cmp.Or(int(o.merchantRate/10), 1),                                          // a tenth of a second's worth when limited
		Unmatched:     store.UnmatchedLimits{Count: 1 << 30, Bytes: 1 << 40, PerWindow: 1 << 30}}) // the ingest floods early callbacks, as the SQLite service's
}

// measureShared drains o.pending paid checkouts, all due at once, with 1, 2
// and 3 instances on a fresh PostgreSQL database each, then runs callback
// ingest against a PostgreSQL instance and the SQLite service s in
// alternating rounds.
func measureShared(ctx context.Context, s *service, o options) (sharedFigures, error) {
	f := sharedFigures{ran: true, pending: o.pending}
	pu := sandbox.NewPayUnit(sandbox.PayUnitConfig{})
	provider := httptest.NewServer(pu)
	defer provider.Close()
	for n := 1; n <= 3; n++ {
		r, err := drainShared(ctx, o, pu, provider.URL, n)
		if err != nil {
			return f, fmt.Errorf("%d instances: %w", n, err)
		}
		f.drainRates = append(f.drainRates, r)
	}
	dbURL, drop, err := freshDatabase(ctx, o.postgres)
	if err != nil {
		return f, err
	}
	defer drop()
	a, err := startShared(ctx, o, dbURL, nil)
	if err != nil {
		return f, err
	}
	defer a.Shutdown()
	m, err := a.Store().CreateMerchant(ctx, store.NewMerchant{Name: "bench", PayUnit: &store.PayUnitAccount{
		BaseURL: provider.URL, APIUser: "sandbox", APIPassword: "sandbox", APIKey: "test_sandbox_key", Mode: "test"}})
	if err != nil {
		return f, err
	}
	sqliteHook := "/hooks/payunit/" + s.merchant.HookToken
	pgHook := "/hooks/payunit/" + m.HookToken
	pgBase := "http://" + a.Addr()
	for range o.rounds {
		f.sqlite.merge(closedLoop(s.base, o.duration/time.Duration(o.rounds), o.concurrency, func(i int) (string, string, string, string) {
			return "POST", sqliteHook, "", callbackBody(nil, 2_000_000_000+i)
		}))
		f.pg.merge(closedLoop(pgBase, o.duration/time.Duration(o.rounds), o.concurrency, func(i int) (string, string, string, string) {
			return "POST", pgHook, "", callbackBody(nil, 3_000_000_000+i)
		}))
	}
	slices.Sort(f.sqlite.lat)
	slices.Sort(f.pg.lat)
	if f.sqlite.errors+f.pg.errors > 0 {
		return f, fmt.Errorf("ingest: %d errors on SQLite, %d on PostgreSQL (first: %v %v)", f.sqlite.errors, f.pg.errors, f.sqlite.firstErr, f.pg.firstErr)
	}
	return f, nil
}

// drainShared seeds o.pending paid checkouts due in a moment on a fresh
// database, starts n instances, and returns the checks per second from
// the due moment to the last settlement.
func drainShared(ctx context.Context, o options, pu *sandbox.PayUnit, providerURL string, n int) (float64, error) {
	dbURL, drop, err := freshDatabase(ctx, o.postgres)
	if err != nil {
		return 0, err
	}
	defer drop()
	b, err := postgres.Open(ctx, dbURL, postgres.Options{})
	if err != nil {
		return 0, err
	}
	db, err := store.New(b, store.Options{MasterKey: make([]byte, 32)})
	if err != nil {
		b.Close()
		return 0, err
	}
	m, err := db.CreateMerchant(ctx, store.NewMerchant{Name: "drain", PayUnit: &store.PayUnitAccount{
		BaseURL: providerURL, APIUser: "sandbox", APIPassword: "sandbox", APIKey: "test_sandbox_key", Mode: "test"}})
	if err != nil {
		db.Close()
		return 0, err
	}
	prefix := fmt.Sprintf("pg%d", n)
	for i := range o.pending {
		id := pu.Create(sandbox.Payment{TransactionID: fmt.Sprintf("%s-%d", prefix, i), Amount: "10", Currency: "XAF", Scenario: sandbox.ScenarioPaysLost})
		if err := pu.SetStatus(id, sandbox.StatusSuccess); err != nil {
			db.Close()
			return 0, err
		}
	}
	at := time.Now().Add(2 * time.Second)
	if _, err := pgtest.SeedPendingCheckouts(ctx, dbURL, m.ID, prefix, o.pending, func(int) time.Time { return at }); err != nil {
		db.Close()
		return 0, err
	}
	db.Close()
	var c counter
	var apps []*paysync.App
	defer func() {
		for _, a := range apps {
			a.Shutdown()
		}
	}()
	for range n {
		a, err := startShared(ctx, o, dbURL, c.onChange)
		if err != nil {
			return 0, err
		}
		apps = append(apps, a)
	}
	if err := waitUntil(10*time.Minute, fmt.Sprintf("%d settlements on %d instances", o.pending, n), func() (bool, error) {
		got, _ := c.get()
		return got >= o.pending, nil
	}); err != nil {
		return 0, err
	}
	_, last := c.get()
	return float64(o.pending) / last.Sub(at).Seconds(), nil
}

// callbackBody is a PayUnit-shaped callback. Half the bodies name one of
// the known references, half a transaction paysync has not seen registered.
func callbackBody(known []string, i int) string {
	txn := fmt.Sprintf("unknown-%d", i)
	if i%2 == 0 && len(known) > 0 {
		txn = known[mrand.IntN(len(known))]
	}
	return fmt.Sprintf(`{"transaction_id":%q,"checkout_id":"PU_payment_8da2310b-a9d5-4c9c-836e-9cc13b718939",`+
		`"status":"SUCCESS","amount":10,"currency":"XAF","transaction_amount":10}`, txn)
}
