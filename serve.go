package main

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
	"github.com/paysync/paysync/poller"
	"github.com/paysync/paysync/poller/payunit"
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

// service is a running paysync: the database, the poller and the HTTP server.
type service struct {
	db      *store.DB
	poller  *poller.Poller
	changes *handlers.Broadcaster // committed checkout changes, to long-polls and event streams
	srv     *http.Server
	ln      net.Listener
	served  chan struct{} // closed when Serve returns
	log     *slog.Logger
}

// startService opens the database, starts the poller and starts serving on
// cfg.Addr. Stop it with shutdown.
func startService(ctx context.Context, cfg *config, log *slog.Logger) (*service, error) {
	key, err := cfg.masterKey()
	if err != nil {
		return nil, err
	}
	changes := handlers.NewBroadcaster()
	db, err := store.Open(ctx, cfg.DB, store.Options{MasterKey: key, OnChange: fanOut(changes.Publish)})
	if err != nil {
		return nil, err
	}
	s := &service{db: db, changes: changes, log: log}
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
	client := payunit.New(poller.HTTPClient(cfg.AllowPrivateURLs, payunit.DefaultTimeout))
	p, err := poller.New(s.db, map[string]poller.Checker{store.ProviderPayUnit: poller.PayUnitChecker{Client: client}},
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
	e, err := handlers.New(handlers.Config{Store: s.db, Waker: p, Logger: s.log.With("component", "http"),
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
	s.poller, s.ln = p, ln
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

// fanOut passes each committed checkout change to every hook, in order, on
// the committing goroutine; hooks must not block.
func fanOut(hooks ...func(store.Checkout)) func(store.Checkout) {
	return func(c store.Checkout) {
		for _, h := range hooks {
			h(c)
		}
	}
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

// addr is the address the service listens on.
func (s *service) addr() string { return s.ln.Addr().String() }

// shutdown stops taking requests and finishes those in flight (long-polls
// and event streams end at once with what they know), then stops the
// poller (checks in flight end; their leases bring them back) and closes
// the database after the last queued write.
func (s *service) shutdown() error {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s.changes.Close() // Shutdown waits for handlers but doesn't cancel them
	err := s.srv.Shutdown(ctx)
	<-s.served
	s.poller.Stop()
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
