package app

import (
	"fmt"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/paysync/paysync/store"
	"github.com/paysync/paysync/web/console"
)

// mountConsole registers the operator console under /console/ on the
// service's Echo, over the same store, feed and workers.
func (a *App) mountConsole(e *echo.Echo, poller, webhooks store.Waker) error {
	c, err := console.New(console.Config{Store: a.db, Changes: a.feed, Waker: poller, Webhooks: webhooks,
		Logger: a.log.With("component", "console"), AdminToken: a.cfg.AdminToken, MasterKey: a.cfg.MasterKey,
		Secure: strings.HasPrefix(a.cfg.PublicURL, "https://"), Now: a.cfg.Now, Demo: a.cfg.ConsoleDemo})
	if err != nil {
		return fmt.Errorf("new console: %w", err)
	}
	c.Register(e.Group("/console"))
	return nil
}
