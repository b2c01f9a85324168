package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/paysync/paysync/handlers"
	"github.com/paysync/paysync/netguard"
	"github.com/paysync/paysync/notify"
	"github.com/paysync/paysync/poller"
	"github.com/paysync/paysync/provider/azotte"
	"github.com/paysync/paysync/provider/payunit"
	"github.com/paysync/paysync/store"
)

func serveCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("serve", stderr)
	cfg, err := parseConfig(fs, args, getenv, "paysync.db")
	if err != nil {
		return err
	}
	return serve(ctx, cfg, newLogger(stderr), stdout, nil)
}

func newLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// service is a running paysync: the database, the poller, the webhook
// dispatcher and the HTTP server.
type service struct {
	db       *store.DB
	poller   *poller.Poller
	notifier *notify.Dispatcher
	changes  *store.Feed // committed checkout changes, to long-polls and event streams
	// listeners learn every committed checkout version (store OnChange),
	// in order; add one here before the service starts.
	listeners []func(store.Checkout)
	srv       *http.Server
	ln        net.Listener
	served    chan struct{} // closed when Serve returns
	log       *slog.Logger
}

// startService opens the database, starts the poller and starts serving on
// cfg.Addr. Stop it with shutdown.
func startService(ctx context.Context, cfg *config, log *slog.Logger) (*service, error) {
	key, err := cfg.masterKey()
	if err != nil {
		return nil, err
	}
	s := &service{log: log, changes: store.NewFeed()}
	s.listeners = append(s.listeners, s.changes.Publish)
	db, err := store.Open(ctx, cfg.DB, store.Options{MasterKey: key, OnChange: s.changed})
	if err != nil {
		return nil, err
	}
	s.db = db
	if err := s.start(ctx, cfg, key); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

func (s *service) start(ctx context.Context, cfg *config, key []byte) error {
	if key == nil {
		has, err := s.db.HasMerchants(ctx)
		if err != nil {
			return err
		}
		if has {
			return errors.New("--master-key is required: the database holds merchants whose secrets it seals")
		}
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	client := payunit.New(netguard.HTTPClient(cfg.AllowPrivateURLs, payunit.DefaultTimeout))
	checkers := map[string]poller.Checker{
		store.ProviderPayUnit: poller.PayUnitChecker{Client: client},
		store.ProviderAzotte:  poller.AzotteChecker{Client: azotte.New(netguard.HTTPClient(cfg.AllowPrivateURLs, azotte.DefaultTimeout))},
	}
	p, err := poller.New(s.db, checkers,
		poller.Config{MinInterval: cfg.PollMinInterval, MaxInterval: cfg.PollMaxInterval, MaxAge: cfg.CheckoutMaxAge,
			Logger: s.log.With("component", "poller"), Metrics: reg})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	if cfg.PublicURL == "" {
		if cfg.PublicURL, err = publicURLFor(ln.Addr()); err != nil {
			ln.Close()
			return err
		}
	}
	n, err := notify.New(s.db, notify.Config{PublicURL: cfg.PublicURL, Client: netguard.HTTPClient(cfg.AllowPrivateURLs, 15*time.Second),
		Logger: s.log.With("component", "notify"), Metrics: reg})
	if err != nil {
		ln.Close()
		return err
	}
	s.listeners = append(s.listeners, func(store.Checkout) { n.Wake() })
	e, err := handlers.New(handlers.Config{Store: s.db, Waker: p, Webhooks: n, Logger: s.log.With("component", "http"),
		PublicURL: cfg.PublicURL, AdminToken: cfg.AdminToken, PollGrace: cfg.PollGrace,
		PollMinInterval: cfg.PollMinInterval, AllowPrivateURLs: cfg.AllowPrivateURLs, Metrics: reg,
		Changes: s.changes})
	if err != nil {
		ln.Close()
		return err
	}
	if err := p.Start(context.WithoutCancel(ctx)); err != nil {
		ln.Close()
		return err
	}
	if err := n.Start(context.WithoutCancel(ctx)); err != nil {
		p.Stop()
		ln.Close()
		return err
	}
	s.poller, s.notifier, s.ln = p, n, ln
	s.srv = &http.Server{Handler: e, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second,
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)}
	s.served = make(chan struct{})
	go func() {
		defer close(s.served)
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("http server", "err", err)
		}
	}()
	s.log.Info("paysync listening", "addr", ln.Addr().String(), "public_url", cfg.PublicURL, "db", cfg.DB)
	return nil
}

// publicURLFor is the default --public-url: the listener's own address,
// which only works when it names a host.
func publicURLFor(addr net.Addr) (string, error) {
	ap, err := netip.ParseAddrPort(addr.String())
	if err != nil || ap.Addr().IsUnspecified() {
		return "", fmt.Errorf("listening on %s: set --public-url to the URL PayUnit and buyers reach paysync at", addr)
	}
	return "http://" + addr.String(), nil
}

// changed is the store's OnChange: it fans each committed checkout
// version out to s.listeners (they must not block).
func (s *service) changed(c store.Checkout) {
	for _, f := range s.listeners {
		f(c)
	}
}

// addr is the address the service listens on.
func (s *service) addr() string { return s.ln.Addr().String() }

// shutdown stops taking requests and finishes those in flight (long-polls
// and event streams end at once with what they know), then stops the
// poller (checks in flight end; their leases bring them back) and the
// webhook dispatcher (likewise), and closes the database after the last
// queued write.
func (s *service) shutdown() error {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s.changes.Close() // Shutdown waits for handlers but doesn't cancel them
	err := s.srv.Shutdown(ctx)
	<-s.served
	s.poller.Stop()
	s.notifier.Stop() // after the poller: its last transitions are in the outbox for the next start
	return errors.Join(err, s.db.Close())
}

// serve runs the service until ctx ends. started, if set, learns the
// running service (tests use it to find the port).
func serve(ctx context.Context, cfg *config, log *slog.Logger, stdout io.Writer, started func(*service)) error {
	s, err := startService(ctx, cfg, log)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "paysync listening on http://%s\n", s.addr())
	if started != nil {
		started(s)
	}
	<-ctx.Done()
	log.Info("shutting down")
	return s.shutdown()
}
