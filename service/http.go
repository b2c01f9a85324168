package service

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
)

// HTTPConfig configures NewHTTPServer. Addr and Server are required.
type HTTPConfig struct {
	Addr string // the address to listen on; port 0 picks one
	// Server is the server to run; its Handler may be set until Start.
	Server *http.Server
	// ShutdownTimeout bounds the graceful shutdown at Stop: 20s. Requests
	// still running then are cut.
	ShutdownTimeout time.Duration
	Logger          *slog.Logger // receives a failing Serve; discarded by default
}

// HTTPServer is an http.Server as a service: NewHTTPServer listens, Start
// serves, Stop shuts it down gracefully (http.Server.Shutdown: no new
// connection, requests in flight finish) within the shutdown timeout and
// closes the listener, started or not. Unlike other services it doesn't
// start again after Stop.
type HTTPServer struct {
	Base
	cfg HTTPConfig
	ln  net.Listener

	mu  sync.Mutex
	err error // the shutdown's
}

var _ Service = (*HTTPServer)(nil)

// NewHTTPServer listens on cfg.Addr; it fails when the address can't be
// listened on.
func NewHTTPServer(cfg HTTPConfig) (*HTTPServer, error) {
	if cfg.Server == nil {
		return nil, errors.New("http server: no server")
	}
	cfg.ShutdownTimeout = cmp.Or(cfg.ShutdownTimeout, 20*time.Second)
	cfg.Logger = cmp.Or(cfg.Logger, slog.New(slog.DiscardHandler))
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	return &HTTPServer{cfg: cfg, ln: ln}, nil
}

// Addr returns the address the server listens on.
func (s *HTTPServer) Addr() net.Addr { return s.ln.Addr() }

// Start serves on the listener until Stop or ctx ends, then shuts down.
func (s *HTTPServer) Start(ctx context.Context) {
	ctx, started, stopped, ok := s.StartInit(ctx)
	if !ok {
		return
	}
	served := make(chan struct{})
	go func() {
		defer close(served)
		if err := s.cfg.Server.Serve(s.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.cfg.Logger.Error("http server", "err", err)
		}
	}()
	started()
	go func() {
		defer stopped()
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.ShutdownTimeout)
		defer cancel()
		if err := s.cfg.Server.Shutdown(sctx); err != nil {
			s.mu.Lock()
			s.err = fmt.Errorf("shut down http: %w", err)
			s.mu.Unlock()
		}
		<-served
	}()
}

// Stop shuts the server down gracefully and waits until it has, then
// closes the listener (a server never started then stops listening too).
func (s *HTTPServer) Stop() {
	s.Base.Stop()
	s.ln.Close() // already closed by a shutdown; a server never started closes it here
}

// Err returns the error of the graceful shutdown (requests still running
// after the timeout), or nil.
func (s *HTTPServer) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}
