package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/paysync/paysync/sandbox"
	"github.com/paysync/paysync/store"
	"github.com/paysync/paysync/store/sqlite/sqlitetest"
)

var _ Store = (*store.DB)(nil)

// countWaker counts wakes.
type countWaker struct{ n atomic.Int64 }

func (w *countWaker) Wake() { w.n.Add(1) }

// env is the pages on the real Echo router and a real store in t.TempDir().
type env struct {
	t        *testing.T
	e        *echo.Echo
	db       *store.DB
	clock    *sandbox.Clock
	waker    *countWaker
	merchant store.CreatedMerchant
}

func setup(t *testing.T) *env {
	t.Helper()
	clock := sandbox.NewClock(time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC))
	db, err := sqlitetest.Open(context.Background(), filepath.Join(t.TempDir(), "t.db"),
		store.Options{MasterKey: []byte("0123456789abcdef0123456789abcdef"), Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	m, err := db.CreateMerchant(context.Background(), store.NewMerchant{Name: "acme", ReturnHosts: []string{"shop.example"},
		Azotte: &store.AzotteAccount{BaseURL: "https://azotte.example/api/v1", TenantID: "t", APIKey: "k"}})
	if err != nil {
		t.Fatal(err)
	}
	en := &env{t: t, e: echo.New(), db: db, clock: clock, waker: &countWaker{}, merchant: m}
	pages, err := New(Config{Store: db, Waker: en.waker})
	if err != nil {
		t.Fatal(err)
	}
	pages.Register(en.e.Group("/pay"))
	return en
}

// register stores an Azotte checkout due now with the given return URLs.
func (en *env) register(trk, successURL, cancelURL string) store.Checkout {
	en.t.Helper()
	c, _, err := en.db.RegisterCheckout(context.Background(), store.NewCheckout{MerchantID: en.merchant.ID,
		Provider: store.ProviderAzotte, ProviderRef: trk, Amount: "10", Currency: "EUR",
		SuccessURL: successURL, CancelURL: cancelURL, FirstCheckAt: en.clock.Now()})
	if err != nil {
		en.t.Fatal(err)
	}
	return c
}

// observe claims the checkout as the poller would and applies a status
// check saying state, with the given redirect instructions (may be "").
func (en *env) observe(c store.Checkout, state store.State, instructions string) store.Checkout {
	en.t.Helper()
	ctx := context.Background()
	claimed, err := en.db.ClaimDue(ctx, 100, time.Minute)
	if err != nil {
		en.t.Fatal(err)
	}
	for _, cl := range claimed {
		if cl.ID != c.ID {
			continue
		}
		next := en.clock.Now().Add(time.Minute)
		o := store.Observation{CheckoutID: cl.ID, Version: cl.Version, WakeSeq: cl.WakeSeq, ClaimSeq: cl.ClaimSeq,
			Checked: true, State: state, ProviderStatus: "CHECK_OUT_" + strings.ToUpper(string(state)),
			Amount: "10", Currency: "EUR", ResolvedBy: store.SourcePoll, Attempts: 1, NextCheckAt: &next}
		if instructions != "" {
			o.Action = &store.Action{Instructions: json.RawMessage(instructions)}
		}
		out, err := en.db.Apply(ctx, o)
		if err != nil {
			en.t.Fatal(err)
		}
		return out
	}
	en.t.Fatalf("checkout %s was not due", c.ID)
	return store.Checkout{}
}

// request sends a request through the router; headers are name, value pairs.
func (en *env) request(method, path, body string, headers ...string) *httptest.ResponseRecorder {
	en.t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	en.e.ServeHTTP(rec, req)
	return rec
}

func wantRedirect(t *testing.T, rec *httptest.ResponseRecorder, location string) {
	t.Helper()
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != location {
		t.Fatalf("got %d Location %q, want 303 to %q; body %s", rec.Code, rec.Header().Get("Location"), location, rec.Body)
	}
}

func wantPage(t *testing.T, rec *httptest.ResponseRecorder, status int, contains ...string) {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("status %d, want %d; body %s", rec.Code, status, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Fatalf("content type %q, want text/html", ct)
	}
	for _, s := range contains {
		if !strings.Contains(rec.Body.String(), s) {
			t.Fatalf("page lacks %q:\n%s", s, rec.Body)
		}
	}
}

// events counts the checkout's events by type.
func (en *env) events(c store.Checkout) map[string]int {
	en.t.Helper()
	evs, err := en.db.Events(context.Background(), en.merchant.ID, c.ID)
	if err != nil {
		en.t.Fatal(err)
	}
	n := map[string]int{}
	for _, e := range evs {
		n[e.Type]++
	}
	return n
}
