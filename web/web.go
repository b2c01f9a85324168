// Package web serves the hosted pages a buyer's browser sees (README, Hosted pages):
// the 3-D Secure step, the return page that waits for the verified verdict
// and sends the buyer back to the shop, and the small status JSON that page
// polls. Templates and assets are embedded; nothing is loaded from a third
// party. Pages are in English and French, chosen by Accept-Language.
package web

import (
	"cmp"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/paysync/paysync/store"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed assets
var assetFS embed.FS

// Store is what the pages need of *store.DB.
type Store interface {
	CheckoutByToken(ctx context.Context, token string) (store.Checkout, error)
	Merchant(ctx context.Context, id string) (store.Merchant, error)
	BrowserReturned(ctx context.Context, token string, minGap time.Duration) (store.Checkout, bool, error)
}

// Config configures New. Store is required; the rest have defaults.
type Config struct {
	Store  Store
	Waker  store.Waker  // the poller (default: store.NopWaker)
	Logger *slog.Logger // default: discards
	// ReturnMinGap is the shortest gap between two recorded browser returns
	// of one checkout (default 10s): more returns within it show the page
	// but ask the provider nothing.
	ReturnMinGap time.Duration
	// Refresh is how often the progress page reloads without JavaScript
	// (default 3s); with JavaScript it polls the status JSON every
	// Refresh*2/3.
	Refresh time.Duration
}

// Pages is the hosted pages' handler set; mount it with Register.
type Pages struct {
	cfg   Config
	log   *slog.Logger
	pages map[string]*template.Template
}

// Page template names.
const (
	pageProgress = "progress.html"
	pageResult   = "result.html"
	pageMessage  = "message.html"
)

// New parses the embedded templates and returns the pages. It fails when
// Store is nil or a template doesn't parse.
func New(cfg Config) (*Pages, error) {
	if cfg.Store == nil {
		return nil, errors.New("new web pages: store is required")
	}
	if cfg.Waker == nil {
		cfg.Waker = store.NopWaker{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	cfg.ReturnMinGap = cmp.Or(cfg.ReturnMinGap, 10*time.Second)
	cfg.Refresh = cmp.Or(cfg.Refresh, 3*time.Second)
	p := &Pages{cfg: cfg, log: cfg.Logger, pages: map[string]*template.Template{}}
	for _, name := range []string{pageProgress, pageResult, pageMessage} {
		t, err := template.New(name).ParseFS(templateFS, "templates/layout.html", "templates/"+name)
		if err != nil {
			return nil, fmt.Errorf("new web pages: %w", err)
		}
		p.pages[name] = t
	}
	return p, nil
}

// Register mounts the pages on g, which should be the "/pay" group:
// /{token}/3ds, /{token}/3ds/frame, /{token}/return (GET and POST),
// /{token}/progress, /{token}/status and /assets/*; anything else under
// the group is the HTML 404 page.
func (p *Pages) Register(g *echo.Group) {
	g.Use(securityHeaders)
	g.GET("/assets/*", p.asset)
	g.GET("/:token/3ds", p.threeDS)
	g.GET("/:token/3ds/frame", p.threeDSFrame)
	g.GET("/:token/return", p.browserReturn)
	g.POST("/:token/return", p.browserReturn)
	g.GET("/:token/progress", p.progress)
	g.GET("/:token/status", p.status)
	g.Any("/*", p.notFound)
}
