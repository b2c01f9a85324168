package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/paysync/paysync/handlers"
	"github.com/paysync/paysync/netguard"
	"github.com/paysync/paysync/notify"
	"github.com/paysync/paysync/poller"
	"github.com/paysync/paysync/store"
)

// App is a running paysync: the database and its change feed, the poller,
// the webhook dispatcher and the HTTP server. Stop it with Shutdown.
type App struct {
	cfg      Config // PublicURL resolved
	log      *slog.Logger
	db       *store.DB
	backend  store.Backend
	feed     *store.Feed // committed checkout changes, to long-polls and event streams
	poller   *poller.Poller
	notifier *notify.Dispatcher
	sweeper  *sweeper      // the retention sweep
	inbox    *inboxDrainer // drains the callback inbox just after the acknowledgements
	ln       net.Listener
	srv      *http.Server
	served   chan struct{} // closed when Serve returns
	// stopRelay ends the relay of other instances' changes (a shared
	// database only); relayed is closed when it has.
	stopRelay context.CancelFunc
	relayed   chan struct{}
}

// Start opens the database, starts the poller and the webhook dispatcher
// and serves HTTP on cfg.Addr. It fails when the database doesn't open,
// when it holds merchants and cfg.MasterKey is nil, when the address can't
// be listened on, and when a component rejects its configuration.
func Start(ctx context.Context, cfg Config) (*App, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	a := &App{cfg: cfg, log: cfg.Logger, feed: store.NewFeed()}
	db, backend, err := openStore(ctx, cfg, a.changed, a.feed.Touch)
	if err != nil {
		return nil, err
	}
	a.db, a.backend = db, backend
	if err := a.start(ctx); err != nil {
		a.feed.Close()
		return nil, errors.Join(err, db.Close())
	}
	return a, nil
}

func (a *App) start(ctx context.Context) (err error) {
	if err := errors.Join(CheckToken("--admin-token", a.cfg.AdminToken), CheckToken("--metrics-token", a.cfg.MetricsToken)); err != nil {
		return err
	}
	if err := a.checkMasterKey(ctx); err != nil {
		return err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	pcfg := poller.Config{MinInterval: a.cfg.PollMinInterval,
		MaxInterval: a.cfg.PollMaxInterval, MaxAge: a.cfg.CheckoutMaxAge, Concurrency: a.cfg.PollerConcurrency,
		MerchantRate: a.cfg.MerchantRate, MerchantBurst: a.cfg.MerchantBurst, Now: a.cfg.Now, Lease: a.cfg.Lease,
		Logger: a.log.With("component", "poller"), Metrics: reg}
	if b := a.db.Budgets(); b != nil { // instances sharing the database share each merchant's rate limit
		pcfg.Budget = poller.SharedBudget(b, a.cfg.MerchantRate, a.cfg.MerchantBurst)
	}
	p, err := poller.New(a.db, checkers(a.cfg), pcfg)
	if err != nil {
		return fmt.Errorf("new poller: %w", err)
	}
	if a.sweeper, err = newSweeper(a.db, a.cfg, a.log.With("component", "retention"), reg); err != nil {
		return fmt.Errorf("new sweeper: %w", err)
	}
	if a.inbox, err = newInboxDrainer(a.db, a.log.With("component", "inbox"), reg); err != nil {
		return fmt.Errorf("new inbox drainer: %w", err)
	}
	if err := a.listen(); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			a.ln.Close()
		}
	}()
	n, err := notify.New(a.db, notify.Config{PublicURL: a.cfg.PublicURL, Now: a.cfg.Now, Lease: a.cfg.Lease,
		Client: netguard.HTTPClient(a.cfg.AllowPrivateURLs, 15*time.Second),
		Logger: a.log.With("component", "notify"), Metrics: reg})
	if err != nil {
		return fmt.Errorf("new dispatcher: %w", err)
	}
	a.notifier = n // before anything commits: changed wakes it
	e, err := handlers.New(handlers.Config{Store: a.db, Waker: p, Inbox: a.inbox, Webhooks: n, Logger: a.log.With("component", "http"),
		PublicURL: a.cfg.PublicURL, AdminToken: a.cfg.AdminToken, MetricsToken: a.cfg.MetricsToken, PollGrace: a.cfg.PollGrace,
		PollMinInterval: a.cfg.PollMinInterval, AllowPrivateURLs: a.cfg.AllowPrivateURLs, Now: a.cfg.Now,
		Metrics: reg, Changes: a.feed, Reads: readsFor(a.db)})
	if err != nil {
		return err
	}
	if err := a.mountConsole(e, p, n); err != nil {
		return err
	}
	if a.cfg.Routes != nil {
		a.cfg.Routes(e)
	}
	p.Start(context.WithoutCancel(ctx))
	n.Start(context.WithoutCancel(ctx))
	a.poller = p
	a.inbox.start(context.WithoutCancel(ctx), p.Wake)
	a.startRelay(ctx)
	a.sweeper.Start(context.WithoutCancel(ctx))
	a.serveHTTP(e)
	a.log.Info("paysync listening", "addr", a.Addr(), "public_url", a.cfg.PublicURL, "db", redactedDB(a.cfg.DB))
	return nil
}

// startRelay, on a database several instances share, starts relaying
// their changes to this instance's feed and workers.
func (a *App) startRelay(ctx context.Context) {
	a.relayed = make(chan struct{})
	if !a.db.Shared() {
		close(a.relayed)
		a.stopRelay = func() {}
		return
	}
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	a.stopRelay = cancel
	r := &relay{db: a.db, feed: a.feed, wake: a.poller.Wake, send: a.notifier.Wake,
		log: a.log.With("component", "relay").Error}
	go func() {
		defer close(a.relayed)
		r.run(rctx)
	}()
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

// listen opens the listener on cfg.Addr and resolves an empty PublicURL
// to its address.
func (a *App) listen() error {
	ln, err := net.Listen("tcp", a.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	if a.cfg.PublicURL == "" {
		if a.cfg.PublicURL, err = publicURLFor(ln.Addr()); err != nil {
			ln.Close()
			return err
		}
	}
	a.ln = ln
	return nil
}

// changed is the store's OnChange: it hands each committed checkout
// version to the change feed, wakes the webhook dispatcher (the commit may
// have queued a delivery) and tells cfg.OnChange. None of them blocks.
func (a *App) changed(c store.Checkout) {
	a.feed.Publish(c)
	if a.notifier != nil {
		a.notifier.Wake()
	}
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
func (a *App) Addr() string { return a.ln.Addr().String() }

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

// Shutdown stops taking requests and finishes those in flight (long-polls
// and event streams end at once with what they know: the feed closes
// first), then stops the poller (checks in flight end; their leases bring
// them back) and the webhook dispatcher (likewise), and closes the
// database after the last queued write. It returns the HTTP server's and
// the database's errors.
func (a *App) Shutdown() error {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	a.feed.Close() // Shutdown waits for handlers but doesn't cancel them
	a.stopRelay()
	<-a.relayed
	err := a.srv.Shutdown(ctx)
	<-a.served
	if err != nil {
		err = fmt.Errorf("shut down http: %w", err)
	}
	a.inbox.stop() // after the server: what it acknowledged is processed now
	a.poller.Stop()
	a.notifier.Stop() // after the poller: its last transitions are in the outbox for the next start
	a.sweeper.Stop()  // its current batch commits or rolls back before the database closes
	return errors.Join(err, a.db.Close())
}
