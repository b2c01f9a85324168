package console_test

import (
	"context"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/paysync/paysync/sandbox"
	"github.com/paysync/paysync/store"
	"github.com/paysync/paysync/store/sqlite/sqlitetest"
	"github.com/paysync/paysync/web/console"
)

var masterKey = []byte("0123456789abcdef0123456789abcdef")

const adminToken = "admin-token-0123456789abcdef-0123456789"

// rig is the console over a real SQLite store, on the real Echo router,
// with a merchant.
type rig struct {
	t        *testing.T
	db       *store.DB
	clock    *sandbox.Clock
	e        *echo.Echo
	merchant store.CreatedMerchant
}

func newRig(t *testing.T, edit ...func(*console.Config)) *rig {
	t.Helper()
	ctx := context.Background()
	clock := sandbox.NewClock(time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC))
	db, err := sqlitetest.Open(ctx, filepath.Join(t.TempDir(), "paysync.db"), store.Options{MasterKey: masterKey, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	cfg := console.Config{Store: db, AdminToken: adminToken, MasterKey: masterKey, Now: clock.Now}
	for _, f := range edit {
		f(&cfg)
	}
	c, err := console.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e := echo.New()
	c.Register(e.Group("/console"))
	m, err := db.CreateMerchant(ctx, store.NewMerchant{Name: "acme", PayUnit: &store.PayUnitAccount{
		BaseURL: "http://127.0.0.1:1", APIUser: "u", APIPassword: "p", APIKey: "k", Mode: "test"}})
	if err != nil {
		t.Fatal(err)
	}
	return &rig{t: t, db: db, clock: clock, e: e, merchant: m}
}

// browser is one client's cookie jar.
type browser struct {
	r       *rig
	cookies map[string]*http.Cookie
	addr    string // RemoteAddr
}

func (r *rig) browser(addr string) *browser {
	return &browser{r: r, cookies: map[string]*http.Cookie{}, addr: addr}
}

// do sends a request with the jar's cookies and keeps what the answer sets.
func (b *browser) do(method, path string, form url.Values) *httptest.ResponseRecorder {
	b.r.t.Helper()
	var req *http.Request
	if form != nil {
		req = httptest.NewRequest(method, path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		req = httptest.NewRequest(method, path, nil)
	}
	req.RemoteAddr = b.addr
	for _, c := range b.cookies {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	b.r.e.ServeHTTP(rec, req)
	for _, c := range rec.Result().Cookies() {
		if c.MaxAge < 0 {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c
		}
	}
	return rec
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf returns the first CSRF token of a page.
func csrf(t *testing.T, body string) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no CSRF field in %s", body)
	}
	return html.UnescapeString(m[1])
}

// signIn signs in with token and returns the answer to the form's POST.
func (b *browser) signIn(token string) *httptest.ResponseRecorder {
	b.r.t.Helper()
	page := b.do(http.MethodGet, "/console/", nil)
	return b.do(http.MethodPost, "/console/signin", url.Values{"csrf": {csrf(b.r.t, page.Body.String())}, "token": {token}})
}

// mustSignIn signs in with token and fails the test unless it worked.
func (b *browser) mustSignIn(token string) {
	b.r.t.Helper()
	if rec := b.signIn(token); rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/console/overview" {
		b.r.t.Fatalf("sign in: %d %s", rec.Code, rec.Header().Get("Location"))
	}
}

// get returns the page at path, failing the test unless it is 200.
func (b *browser) get(path string) string {
	b.r.t.Helper()
	rec := b.do(http.MethodGet, path, nil)
	if rec.Code != http.StatusOK {
		b.r.t.Fatalf("GET %s: %d %s", path, rec.Code, rec.Header().Get("Location"))
	}
	return rec.Body.String()
}
