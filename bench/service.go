package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"

	"github.com/labstack/echo/v4"
	"golang.org/x/time/rate"

	paysync "github.com/paysync/paysync/internal/app"
	"github.com/paysync/paysync/poller"
	"github.com/paysync/paysync/sandbox"
	"github.com/paysync/paysync/store"
	"github.com/paysync/paysync/store/sqlite"
)

// service is paysync as `paysync serve` runs it (internal/app: real store
// with synchronous=FULL, change feed, poller, webhook dispatcher, handlers,
// HTTP on 127.0.0.1) on a fresh temporary database, plus a sandbox PayUnit
// behind httptest, the bench's probe on the checkers and the change
// stream, and the no-op routes the figures are compared with.
type service struct {
	dir      string
	app      *paysync.App
	db       *store.DB
	backend  *sqlite.Backend // the SQLite under db, for seeding and counting
	poller   *poller.Poller
	probe    *probe
	sandbox  *sandbox.PayUnit
	provider *httptest.Server
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
	s.app, err = paysync.Start(ctx, paysync.Config{Addr: "127.0.0.1:0", DB: filepath.Join(s.dir, "bench.db"),
		PublicURL: "http://bench.test", MasterKey: make([]byte, 32), PollGrace: o.pollGrace,
		PollMinInterval: o.pollMin, PollMaxInterval: o.pollMax, AllowPrivateURLs: true,
		// Logs are formatted as in production (JSON) and thrown away, so
		// their cost is counted but the terminal isn't flooded.
		Logger:      slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo})),
		WrapChecker: func(_ string, c poller.Checker) poller.Checker { return s.probe.wrap(c) },
		OnChange:    s.probe.onChange, Routes: noopRoutes,
		PollerConcurrency: o.pollConcurrency, MerchantRate: rate.Inf, MerchantBurst: 1,
		// The ingest floods one merchant with early callbacks: measure them, don't bound them.
		Unmatched: store.UnmatchedLimits{Count: 1 << 30, Bytes: 1 << 40, PerWindow: 1 << 30}})
	if err != nil {
		return err
	}
	s.db, s.poller, s.base = s.app.Store(), s.app.Poller(), "http://"+s.app.Addr()
	var ok bool
	if s.backend, ok = s.app.Backend().(*sqlite.Backend); !ok {
		return fmt.Errorf("bench: the store's backend is %T, want SQLite", s.app.Backend())
	}
	s.sandbox = sandbox.NewPayUnit(sandbox.PayUnitConfig{})
	s.provider = httptest.NewServer(s.sandbox)
	s.merchant, err = s.db.CreateMerchant(ctx, store.NewMerchant{Name: "bench", PayUnit: &store.PayUnitAccount{
		BaseURL: s.provider.URL, APIUser: "sandbox", APIPassword: "sandbox", APIKey: "test_sandbox_key", Mode: "test"}})
	return err
}

// noopRoutes are the baselines: an Echo route that reads the body and
// answers as a callback does, and one that answers as a read does.
func noopRoutes(e *echo.Echo) {
	e.POST("/noop", func(c echo.Context) error {
		io.Copy(io.Discard, c.Request().Body)
		return c.JSON(http.StatusOK, map[string]bool{"received": true})
	})
	e.GET("/noop", func(c echo.Context) error { return c.JSON(http.StatusOK, map[string]bool{"ok": true}) })
}

// stop shuts the service (HTTP, poller, dispatcher, database) and the
// sandbox down and removes the temporary directory.
func (s *service) stop() {
	if s.app != nil {
		if err := s.app.Shutdown(); err != nil {
			fmt.Fprintln(os.Stderr, "bench: shutdown:", err)
		}
	}
	if s.provider != nil {
		s.provider.Close()
	}
	os.RemoveAll(s.dir)
}
