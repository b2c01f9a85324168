package app

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"time"

	"github.com/paysync/paysync/service"
)

// listenHTTP listens on cfg.Addr with the service's HTTP server, whose
// handler the caller sets on srv before it starts, and resolves an empty
// PublicURL to the listener's address.
func (a *App) listenHTTP() (hs *service.HTTPServer, srv *http.Server, err error) {
	srv = &http.Server{ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second,
		DisableGeneralOptionsHandler: true, // "OPTIONS *" is the handlers' (204 with Allow)
		ErrorLog:                     slog.NewLogLogger(a.log.Handler(), slog.LevelWarn)}
	hs, err = service.NewHTTPServer(service.HTTPConfig{Addr: a.cfg.Addr, Server: srv,
		ShutdownTimeout: 20 * time.Second, Logger: a.log})
	if err != nil {
		return nil, nil, err
	}
	if a.cfg.PublicURL == "" {
		if a.cfg.PublicURL, err = publicURLFor(hs.Addr()); err != nil {
			hs.Stop()
			return nil, nil, err
		}
	}
	return hs, srv, nil
}

// publicURLFor is the default public URL: the listener's own address,
// which only works when it names a host.
func publicURLFor(addr net.Addr) (string, error) {
	ap, err := netip.ParseAddrPort(addr.String())
	if err != nil || ap.Addr().IsUnspecified() {
		return "", fmt.Errorf("listening on %s: set --public-url to the URL PayUnit and buyers reach paysync at", addr)
	}
	return "http://" + addr.String(), nil
}
