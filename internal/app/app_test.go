package app

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/paysync/paysync/internal/testwait"
	"github.com/paysync/paysync/store"
)

var testKey = []byte("0123456789abcdef0123456789abcdef")

func testConfig(t *testing.T) Config {
	t.Helper()
	return Config{Addr: "127.0.0.1:0", DB: filepath.Join(t.TempDir(), "paysync.db"), MasterKey: testKey}
}

func get(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestStartRunsTheWholeService boots the service with the bench's seams
// (extra routes, a change listener) and checks that committed changes reach
// the listener and the change feed, and that Shutdown ends the feed.
func TestStartRunsTheWholeService(t *testing.T) {
	cfg := testConfig(t)
	changes := make(chan store.Checkout, 8)
	cfg.OnChange = func(c store.Checkout) { changes <- c }
	cfg.Routes = func(e *echo.Echo) {
		e.GET("/extra", func(c echo.Context) error { return c.NoContent(http.StatusNoContent) })
	}
	a, err := Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if want := "http://" + a.Addr(); a.PublicURL() != want {
		t.Errorf("PublicURL = %q, want the listener's %q", a.PublicURL(), want)
	}
	if code := get(t, a.PublicURL()+"/healthz"); code != http.StatusOK {
		t.Errorf("GET /healthz: %d", code)
	}
	if code := get(t, a.PublicURL()+"/extra"); code != http.StatusNoContent {
		t.Errorf("GET /extra (Routes): %d", code)
	}
	ctx := context.Background()
	m, err := a.Store().CreateMerchant(ctx, store.NewMerchant{Name: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	c, _, err := a.Store().RegisterCheckout(ctx, store.NewCheckout{MerchantID: m.ID, Provider: store.ProviderPayUnit,
		Reference: "order-1", Amount: "100", Currency: "XAF", FirstCheckAt: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	sub := a.Feed().Subscribe(c.ID)
	defer sub.Close()
	if got := testwait.Signal(t, "OnChange to learn the registration", changes); got.ID != c.ID {
		t.Errorf("OnChange learnt %s, want %s", got.ID, c.ID)
	}
	if err := a.Shutdown(); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if _, err := sub.Next(ctx, c.Version); err == nil {
		t.Fatal("the change feed is open after Shutdown")
	}
}

func TestStartRefusesMerchantsWithoutMasterKey(t *testing.T) {
	cfg := testConfig(t)
	if _, err := CreateMerchant(context.Background(), cfg, store.NewMerchant{Name: "acme"}); err != nil {
		t.Fatal(err)
	}
	cfg.MasterKey = nil
	a, err := Start(context.Background(), cfg)
	if err == nil {
		a.Shutdown()
		t.Fatal("Start without a master key over a database with merchants succeeded")
	}
	if !strings.Contains(err.Error(), "--master-key is required") {
		t.Fatalf("Start: %v", err)
	}
}

func TestCreateMerchantNeedsMasterKey(t *testing.T) {
	cfg := testConfig(t)
	cfg.MasterKey = nil
	if _, err := CreateMerchant(context.Background(), cfg, store.NewMerchant{Name: "acme"}); err == nil {
		t.Fatal("CreateMerchant without a master key succeeded")
	}
}

func TestStartNeedsANamedHostForThePublicURL(t *testing.T) {
	cfg := testConfig(t)
	cfg.Addr = "0.0.0.0:0"
	if a, err := Start(context.Background(), cfg); err == nil {
		a.Shutdown()
		t.Fatal("Start on an unspecified address without a public URL succeeded")
	}
}
