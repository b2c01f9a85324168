package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/time/rate"

	"github.com/paysync/paysync/handlers"
	"github.com/paysync/paysync/netguard"
	"github.com/paysync/paysync/poller"
	"github.com/paysync/paysync/provider/payunit"
	"github.com/paysync/paysync/sandbox"
	"github.com/paysync/paysync/store"
	"github.com/paysync/paysync/store/sqlite"
)

// service is paysync as `paysync serve` wires it (real store with
// synchronous=FULL, handlers, poller, HTTP on 127.0.0.1) on a fresh
// temporary database, plus a sandbox PayUnit behind httptest and the
// no-op routes the figures are compared with.
type service struct {
	dir      string
	db       *store.DB
	backend  *sqlite.Backend // the SQLite underneath db, for seeding and counting
	poller   *poller.Poller
	probe    *probe
	sandbox  *sandbox.PayUnit
	provider *httptest.Server
	srv      *http.Server
	served   chan struct{}
	base     string // http://127.0.0.1:port
	merchant store.CreatedMerchant
}

// startService starts everything; stop releases it.
func startService(ctx context.Context, o options) (*service, error) {
	dir, err := os.MkdirTemp("", "paysync-bench")
	if err != nil {
		return nil, err
	}
	s := &service{dir: dir, probe: newProbe()}
	if err := s.start(ctx, o); err != nil {
		s.stop()
		return nil, err
	}
	return s, nil
}

func (s *service) start(ctx context.Context, o options) error {
	var err error
	if s.backend, err = sqlite.Open(ctx, filepath.Join(s.dir, "bench.db"), sqlite.Options{}); err != nil {
		return err
	}
	if s.db, err = store.New(s.backend, store.Options{MasterKey: make([]byte, 32), OnChange: s.probe.onChange}); err != nil {
		s.backend.Close()
		s.backend = nil
		return err
	}
	s.sandbox = sandbox.NewPayUnit(sandbox.PayUnitConfig{})
	s.provider = httptest.NewServer(s.sandbox)
	s.merchant, err = s.db.CreateMerchant(ctx, store.NewMerchant{Name: "bench", PayUnit: &store.PayUnitAccount{
		BaseURL: s.provider.URL, APIUser: "sandbox", APIPassword: "sandbox", APIKey: "test_sandbox_key", Mode: "test"}})
	if err != nil {
		return err
	}
	// Logs are formatted as in production (JSON) and thrown away, so their
	// cost is counted but the terminal isn't flooded.
	log := slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo}))
	client := payunit.New(netguard.HTTPClient(true, payunit.DefaultTimeout))
	checker := s.probe.wrap(poller.PayUnitChecker{Client: client})
	s.poller, err = poller.New(s.db, map[string]poller.Checker{store.ProviderPayUnit: checker}, poller.Config{
		MinInterval: o.pollMin, MaxInterval: o.pollMax, Concurrency: o.pollConcurrency,
		MerchantRate: rate.Inf, MerchantBurst: 1, Logger: log})
	if err != nil {
		return err
	}
	e, err := handlers.New(handlers.Config{Store: s.db, Waker: s.poller, Logger: log,
		PublicURL: "http://bench.test", PollGrace: o.pollGrace, PollMinInterval: o.pollMin})
	if err != nil {
		return err
	}
	e.POST("/noop", func(c echo.Context) error {
		io.Copy(io.Discard, c.Request().Body)
		return c.JSON(http.StatusOK, map[string]bool{"received": true})
	})
	e.GET("/noop", func(c echo.Context) error { return c.JSON(http.StatusOK, map[string]bool{"ok": true}) })
	if err := s.poller.Start(ctx); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	s.base = "http://" + ln.Addr().String()
	s.srv = &http.Server{Handler: e, ReadHeaderTimeout: 10 * time.Second}
	s.served = make(chan struct{})
	go func() {
		defer close(s.served)
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintln(os.Stderr, "bench: serve:", err)
		}
	}()
	return nil
}

// stop shuts the HTTP server, the poller, the sandbox and the database
// down and removes the temporary directory.
func (s *service) stop() {
	if s.srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		s.srv.Shutdown(ctx)
		cancel()
		<-s.served
	}
	if s.poller != nil {
		s.poller.Stop()
	}
	if s.provider != nil {
		s.provider.Close()
	}
	if s.db != nil {
		s.db.Close()
	}
	os.RemoveAll(s.dir)
}
