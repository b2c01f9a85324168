package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/paysync/paysync/store"
	"github.com/paysync/paysync/store/sqlite/sqlitetest"
)

var _ Store = (*store.DB)(nil)

const testAdminToken = "admin-secret"

// fakeWaker counts wakes.
type fakeWaker struct{ n atomic.Int64 }

func (w *fakeWaker) Wake()        { w.n.Add(1) }
func (w *fakeWaker) count() int64 { return w.n.Load() }

// fakeClock is a settable clock shared by the store and the handlers.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// syncBuffer is a log sink safe for concurrent writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// harness is one service under test: the real router on a real store.
type harness struct {
	t     testing.TB
	e     *echo.Echo
	s     *server
	db    *store.DB
	waker *fakeWaker
	clock *fakeClock
	logs  *syncBuffer
	// changes is fed by the store's OnChange and given to the handlers.
	changes *store.Feed
}

// setup opens a store in t.TempDir() with a master key and a fake clock,
// and builds the router; edit adjusts the Config.
func setup(t testing.TB, edit ...func(*Config)) *harness {
	t.Helper()
	h := &harness{t: t, waker: &fakeWaker{}, logs: &syncBuffer{},
		clock: &fakeClock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}, changes: store.NewFeed()}
	db, err := sqlitetest.Open(context.Background(), filepath.Join(t.TempDir(), "t.db"),
		store.Options{MasterKey: bytes.Repeat([]byte{7}, 32), Now: h.clock.Now, OnChange: h.changes.Publish, OnTouch: h.changes.Touch})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	h.db = db
	cfg := Config{Store: db, Waker: h.waker, Inbox: drainNow{h}, Logger: slog.New(slog.NewJSONHandler(h.logs, nil)),
		PublicURL: "http://paysync.test/", AdminToken: testAdminToken, Now: h.clock.Now,
		Changes: h.changes}
	for _, f := range edit {
		f(&cfg)
	}
	if h.s, h.e, err = newServer(cfg); err != nil {
		t.Fatal(err)
	}
	return h
}

// drainNow is the tests' inbox drainer: woken by the handler after each
// callback it queued, it drains the inbox there and then (before the
// answer), and wakes the poller when the drain made a checkout due, as the
// service's drainer does just after.
type drainNow struct{ h *harness }

func (d drainNow) Wake() {
	r, err := d.h.db.DrainInbox(context.Background(), 0, 256)
	if err != nil {
		d.h.t.Errorf("drain the inbox: %v", err)
		return
	}
	if r.Woke {
		d.h.waker.Wake()
	}
}

// request sends a request through the router. body may be a string (sent
// as is) or a value (sent as JSON); headers are name, value pairs.
func (h *harness) request(method, path, bearer string, body any, headers ...string) *httptest.ResponseRecorder {
	h.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			h.t.Fatal(err)
		}
		r = bytes.NewReader(raw)
	}
	req := httptest.NewRequest(method, path, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	h.e.ServeHTTP(rec, req)
	return rec
}

// merchant creates a merchant through the admin API and returns its JSON
// and API key.
func (h *harness) merchant(returnHosts ...string) (map[string]any, string) {
	h.t.Helper()
	rec := h.request(http.MethodPost, "/admin/v1/merchants", testAdminToken, map[string]any{
		"name": "acme", "return_hosts": returnHosts,
		"payunit": map[string]any{"base_url": "https://gateway.payunit.net", "api_user": "u",
			"api_password": "p", "api_key": "k", "mode": "test"},
	})
	wantStatus(h.t, rec, http.StatusCreated)
	m := decode(h.t, rec)
	return m, m["api_key"].(string)
}

// checkout registers a PayUnit checkout and returns the response.
func (h *harness) checkout(apiKey, reference, amount string) *httptest.ResponseRecorder {
	h.t.Helper()
	return h.request(http.MethodPost, "/v1/checkouts", apiKey, map[string]any{
		"provider": "payunit", "reference": reference, "amount": amount, "currency": "xaf"})
}

// hookPath is the path of the merchant's PayUnit notify URL.
func hookPath(m map[string]any) string {
	return strings.TrimPrefix(m["payunit_notify_url"].(string), "http://paysync.test")
}

func wantStatus(t testing.TB, rec *httptest.ResponseRecorder, want int) {
	t.Helper()
	if rec.Code != want {
		t.Fatalf("status %d, want %d; body %s", rec.Code, want, rec.Body)
	}
}

func decode(t testing.TB, rec *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
		t.Fatalf("decode %q: %v", rec.Body, err)
	}
	return m
}

// wantProblem checks a problem+json response and returns it.
func wantProblem(t testing.TB, rec *httptest.ResponseRecorder, status int, slug string) map[string]any {
	t.Helper()
	wantStatus(t, rec, status)
	if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("content type %q, want application/problem+json", ct)
	}
	p := decode(t, rec)
	if p["type"] != problemBase+slug || p["status"] != float64(status) || p["title"] != http.StatusText(status) {
		t.Fatalf("problem %v, want type %s and status %d", p, slug, status)
	}
	if _, ok := p["detail"].(string); !ok {
		t.Fatalf("problem %v has no detail", p)
	}
	return p
}

// fieldErrors returns a 422 problem's errors as field → message.
func fieldErrors(t testing.TB, rec *httptest.ResponseRecorder) map[string]string {
	t.Helper()
	p := wantProblem(t, rec, http.StatusUnprocessableEntity, "validation-failed")
	out := map[string]string{}
	list, _ := p["errors"].([]any)
	for _, e := range list {
		fe := e.(map[string]any)
		out[fe["field"].(string)] = fe["message"].(string)
	}
	if len(out) == 0 {
		t.Fatalf("422 without errors: %v", p)
	}
	return out
}
