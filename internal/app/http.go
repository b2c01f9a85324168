package app

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"time"
)

// publicURLFor is the default public URL: the listener's own address,
// which only works when it names a host.
func publicURLFor(addr net.Addr) (string, error) {
	ap, err := netip.ParseAddrPort(addr.String())
	if err != nil || ap.Addr().IsUnspecified() {
		return "", fmt.Errorf("listening on %s: set --public-url to the URL PayUnit and buyers reach paysync at", addr)
	}
	return "http://" + addr.String(), nil
}

// serveHTTP serves h on a.ln in the background until a.srv shuts down;
// a.served is closed when it returns.
func (a *App) serveHTTP(h http.Handler) {
	a.srv = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second,
		ErrorLog: slog.NewLogLogger(a.log.Handler(), slog.LevelWarn)}
	a.served = make(chan struct{})
	go func() {
		defer close(a.served)
		if err := a.srv.Serve(a.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.log.Error("http server", "err", err)
		}
	}()
}
