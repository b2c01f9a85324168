package handlers

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// readyTimeout bounds the readiness probe's database ping and probe write.
const readyTimeout = 2 * time.Second

// healthz handles GET /healthz: the process is up.
func (s *server) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// readyz handles GET /readyz: 200 when the database answers with every
// migration applied and a write commits (store.DB.Ping's probe write: a
// full disk or a read-only database is not ready), else a 503 problem
// (the cause is logged, not sent).
func (s *server) readyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), readyTimeout)
	defer cancel()
	if err := s.cfg.Store.Ping(ctx); err != nil {
		s.log.Error("readiness check failed", "err", err)
		return &apiError{Status: http.StatusServiceUnavailable, Slug: "not-ready", Detail: "the database is not ready"}
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ready"})
}
