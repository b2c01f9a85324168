package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/paysync/paysync/cluster"
	"github.com/paysync/paysync/handlers"
	"github.com/paysync/paysync/maintenance"
	"github.com/paysync/paysync/netguard"
	"github.com/paysync/paysync/notify"
	"github.com/paysync/paysync/poller"
	"github.com/paysync/paysync/service"
	"github.com/paysync/paysync/store"
)

// App is a running paysync: the database and its change feed, and the
// services over them (retention sweep, liveness and relay between
// instances on a shared database, webhook dispatcher, poller, inbox
// drainer, HTTP server), started in order as one
// service.Group. Stop it with Shutdown.
type App struct {
	cfg     Config // PublicURL resolved
	log     *slog.Logger
	db      *store.DB
	backend store.Backend
	feed    *store.Feed // committed checkout changes, to long-polls and event streams
	// deliveries wakes the webhook dispatcher; made before the store
	// opens, since every commit may queue a delivery.
	deliveries service.Signal
	poller     *poller.Poller
	liveness   *cluster.Liveness // on a shared database only
	http       *service.HTTPServer
	services   *service.Group
}

// Start opens the database, builds every service over it, then starts
// them in order: the poller, the webhook dispatcher, the HTTP server on
// cfg.Addr and the rest. It fails when the database doesn't open, when it
// holds merchants and cfg.MasterKey is nil, when the address can't be
// listened on, and when a component rejects its configuration; nothing is
// started then.
func Start(ctx context.Context, cfg Config) (*App, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	a := &App{cfg: cfg, log: cfg.Logger, feed: store.NewFeed(), deliveries: service.NewSignal()}
	db, backend, err := openStore(ctx, cfg, a.changed, a.feed.Touch)
	if err != nil {
		return nil, err
	}
	a.db, a.backend = db, backend
	if err := a.build(ctx); err != nil {
		a.feed.Close()
		return nil, errors.Join(err, db.Close())
	}
	a.services.Start(context.WithoutCancel(ctx))
	a.awaitLiveness()
	a.log.Info("paysync listening", "addr", a.Addr(), "public_url", a.cfg.PublicURL, "db", redactedDB(a.cfg.DB))
	return a, nil
}

// build checks the settings against the database and builds every
// service into a.services, in start order; it starts nothing.
func (a *App) build(ctx context.Context) (err error) {
	if err := errors.Join(CheckToken("--admin-token", a.cfg.AdminToken), CheckToken("--metrics-token", a.cfg.MetricsToken)); err != nil {
		return err
	}
	if err := a.checkMasterKey(ctx); err != nil {
		return err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if a.poller, err = a.newPoller(reg); err != nil {
		return err
	}
	sweeper, err := maintenance.NewRetention(a.db, maintenance.RetentionConfig{Settled: a.cfg.Retention,
		Unmatched: a.cfg.UnmatchedRetention, Period: a.cfg.SweepPeriod, OnSweep: a.cfg.OnSweep,
		Logger: a.log.With("component", "retention"), Metrics: reg})
	if err != nil {
		return fmt.Errorf("new retention sweep: %w", err)
	}
	inbox, err := maintenance.NewInboxDrain(a.db, maintenance.InboxDrainConfig{Wake: a.poller.Wake,
		Logger: a.log.With("component", "inbox"), Metrics: reg})
	if err != nil {
		return fmt.Errorf("new inbox drainer: %w", err)
	}
	hs, srv, err := a.listenHTTP()
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			hs.Stop() // closes the listener
		}
	}()
	n, err := notify.New(a.db, notify.Config{PublicURL: a.cfg.PublicURL, Now: a.cfg.Now, Lease: a.cfg.Lease,
		Client: netguard.HTTPClient(a.cfg.AllowPrivateURLs, 15*time.Second), Wake: a.deliveries,
		Logger: a.log.With("component", "notify"), Metrics: reg})
	if err != nil {
		return fmt.Errorf("new dispatcher: %w", err)
	}
	a.db.HandDeliveriesTo(n) // a transition's webhooks go to the dispatcher without a claim
	e, err := handlers.New(handlers.Config{Store: a.db, Waker: a.poller, Inbox: inbox, Webhooks: n, Logger: a.log.With("component", "http"),
		PublicURL: a.cfg.PublicURL, AdminToken: a.cfg.AdminToken, MetricsToken: a.cfg.MetricsToken, MetricsLocalOnly: true, PollGrace: a.cfg.PollGrace,
		PollMinInterval: a.cfg.PollMinInterval, AllowPrivateURLs: a.cfg.AllowPrivateURLs, Now: a.cfg.Now,
		Metrics: reg, Changes: a.feed, Reads: readsFor(a.db), ProviderClient: providerClient(a.cfg)})
	if err != nil {
		return err
	}
	if err := a.mountConsole(e, a.poller, n); err != nil {
		return err
	}
	if a.cfg.Routes != nil {
		a.cfg.Routes(e)
	}
	srv.Handler = e
	a.http = hs
	// Stopped in reverse: the feed closes first (long-polls and streams
	// end at once with what they know), then the relay, the HTTP server
	// (requests in flight finish), the inbox drainer (its final drain
	// processes what the server acknowledged), the poller (checks in
	// flight end), the dispatcher (after the poller: its last transitions
	// are in the outbox for the next start), the liveness service on a
	// shared database (it hands this instance's claims back at once; on
	// SQLite the next start recovers their leases) and the sweep (its
	// current batch commits or rolls back); Shutdown closes the database
	// after them.
	services := []service.Service{sweeper}
	if a.db.Shared() {
		if a.liveness, err = cluster.NewLiveness(a.db, cluster.LivenessConfig{Wake: a.poller.Wake, Send: n.Wake,
			Logger: a.log.With("component", "liveness"), Metrics: reg}); err != nil {
			return fmt.Errorf("new liveness: %w", err)
		}
		services = append(services, a.liveness)
	}
	a.services = service.NewGroup(append(services, n, a.poller, inbox, hs)...)
	if a.db.Shared() {
		a.services.Add(cluster.NewRelay(a.db, cluster.RelayConfig{Feed: a.feed, Wake: a.poller.Wake, Send: n.Wake,
			Logger: a.log.With("component", "relay")}))
	}
	a.services.Add(service.Func{OnStop: a.feed.Close})
	return nil
}

// livenessWait bounds how long Start waits for the first liveness session.
const livenessWait = 10 * time.Second

// awaitLiveness waits, on a shared database, until this instance holds
// its liveness session (it claims nothing before), within livenessWait:
// a Start that returns is an instance able to work. Past that it goes
// on; the session comes when the database lets it, and wakes the workers.
func (a *App) awaitLiveness() {
	if a.liveness == nil {
		return
	}
	t := time.NewTimer(livenessWait)
	defer t.Stop()
	select {
	case <-a.liveness.Started():
	case <-t.C:
		a.log.Warn("no liveness session yet: this instance claims no work until it has one", "waited", livenessWait)
	}
}

// newPoller builds the poller of a.cfg, its metrics on reg.
func (a *App) newPoller(reg prometheus.Registerer) (*poller.Poller, error) {
	pcfg := poller.Config{MinInterval: a.cfg.PollMinInterval,
		MaxInterval: a.cfg.PollMaxInterval, MaxAge: a.cfg.CheckoutMaxAge, Concurrency: a.cfg.PollerConcurrency,
		MerchantRate: a.cfg.MerchantRate, MerchantBurst: a.cfg.MerchantBurst, Now: a.cfg.Now, Lease: a.cfg.Lease,
		Logger: a.log.With("component", "poller"), Metrics: reg}
	if b := a.db.Budgets(); b != nil { // instances sharing the database share each merchant's rate limit
		pcfg.Budget = poller.SharedBudget(b, a.cfg.MerchantRate, a.cfg.MerchantBurst)
	}
	p, err := poller.New(a.db, checkers(a.cfg), pcfg)
	if err != nil {
		return nil, fmt.Errorf("new poller: %w", err)
	}
	return p, nil
}

// readsFor says how far the handlers may trust their cache of checkouts
// (handlers.Reads): on a database of one process (SQLite) every commit
// reaches the feed (OnChange and OnTouch run after each), so a cached
// checkout is current; on a shared database (PostgreSQL) other
// instances' commits reach it only through the relay, later, so every
// cached checkout is checked against the database's revision first.
func readsFor(db *store.DB) handlers.Reads {
	if db.Shared() {
		return handlers.ReadsValidated
	}
	return handlers.ReadsFromFeed
}

// checkMasterKey refuses to run over a database holding merchants
// without a master key, or with one that doesn't open their sealed
// secrets (store.CheckMasterKey): nothing gets sealed under a second key.
func (a *App) checkMasterKey(ctx context.Context) error {
	return a.db.CheckMasterKey(ctx)
}

// changed is the store's OnChange: it hands each committed checkout
// version to the change feed, wakes the webhook dispatcher (the commit may
// have queued a delivery) and tells cfg.OnChange. None of them blocks.
func (a *App) changed(c store.Checkout) {
	a.feed.Publish(c)
	a.deliveries.Notify()
	if a.cfg.OnChange != nil {
		a.cfg.OnChange(c)
	}
}

// redactedDB is the database setting fit for a log: a URL's password is masked.
func redactedDB(db string) string {
	if u, err := url.Parse(db); err == nil && u.User != nil {
		return u.Redacted()
	}
	return db
}

// Addr returns the address the service listens on.
func (a *App) Addr() string { return a.http.Addr().String() }

// PublicURL returns the base of the URLs the service hands out: the
// configured one, or the listener's address when none was.
func (a *App) PublicURL() string { return a.cfg.PublicURL }

// Store returns the service's database.
func (a *App) Store() *store.DB { return a.db }

// Backend is the database under the store, for tools that need its own
// helpers (the bench seeds SQLite through it).
func (a *App) Backend() store.Backend { return a.backend }

// Feed returns the store's change feed the service publishes to.
func (a *App) Feed() *store.Feed { return a.feed }

// Poller returns the service's poller (the bench wakes and stops it;
// Shutdown stopping it again is harmless).
func (a *App) Poller() *poller.Poller { return a.poller }

// Shutdown stops the services in the reverse of their start order (see
// build: the feed first, so that long-polls and event streams end at once;
// the HTTP server finishes the requests in flight, within 20s; the inbox
// is drained once more; checks and deliveries in flight end, and on a
// shared database the instance hands its claims back at once; on SQLite
// the next start recovers their leases), then closes the database after the last queued
// write. It returns the HTTP server's and the database's errors.
func (a *App) Shutdown() error {
	a.services.Stop()
	return errors.Join(a.http.Err(), a.db.Close())
}
