package cli

// Browser tests: a buyer's real headless Chromium driven from Go through
// chromedp, against the whole service (startApp) and the sandbox PayUnit.
// Locally they skip when no Chromium is installed; under CI=true they fail.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/paysync/paysync/internal/testwait"
	"github.com/paysync/paysync/sandbox"
)

// Phone-sized viewport for every browser test (an iPhone 12-15 in CSS pixels).
const phoneWidth, phoneHeight = 390, 844

// browserTimeout bounds each browser step; waits have their own deadlines.
const browserTimeout = 20 * time.Second

// findChromium returns the browser to drive: $PAYSYNC_CHROMIUM, else the
// first of the usual names on PATH.
func findChromium() (string, error) {
	if p := os.Getenv("PAYSYNC_CHROMIUM"); p != "" {
		return p, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no Chromium found")
}

// browser is one headless Chromium tab at a phone-sized viewport.
type browser struct {
	t   *testing.T
	ctx context.Context
}

// browserOption adjusts a browser before its first page.
type browserOption func(b *browser) error

// withoutJavaScript disables script execution in the tab, as a buyer who
// turned JavaScript off.
func withoutJavaScript(b *browser) error {
	_, err := chromedp.Call(b.ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
	return err
}

// newBrowser starts a headless Chromium with a fresh profile for the test
// and stops it when the test ends. Without a browser it skips the test, or
// fails it when CI=true.
func newBrowser(t *testing.T, opts ...browserOption) *browser {
	t.Helper()
	path, err := findChromium()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("browser tests need Chromium under CI: %v (apt-get install -y chromium, or set PAYSYNC_CHROMIUM)", err)
		}
		t.Skipf("%v: install one to run the browser tests (apt-get install -y chromium), or set PAYSYNC_CHROMIUM", err)
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(phoneWidth, phoneHeight))
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	b := &browser{t: t, ctx: ctx}
	// The first action starts the browser and ties it to its context: run
	// it on the tab's own context, never on one with a timeout.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(phoneWidth, phoneHeight, chromedp.EmulateMobile, chromedp.EmulateTouch)); err != nil {
		t.Fatalf("start the browser: %v", err)
	}
	for _, o := range opts {
		if err := o(b); err != nil {
			t.Fatalf("browser option: %v", err)
		}
	}
	return b
}

// do runs actions in the tab within browserTimeout.
func (b *browser) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, browserTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("browser: %s: %v", what, err)
	}
}

// navigate opens url in the tab.
func (b *browser) navigate(url string) {
	b.t.Helper()
	b.do("navigate to "+url, chromedp.Navigate(url))
}

// location is the tab's current URL.
func (b *browser) location() string {
	b.t.Helper()
	loc, err := b.tryLocation()
	if err != nil {
		b.t.Fatalf("browser: location: %v", err)
	}
	return loc
}

// tryLocation is the tab's current URL, or the browser's error: asked
// while the tab navigates, Chromium may answer "Inspected target navigated
// or closed" (-32000) for the document it is leaving.
func (b *browser) tryLocation() (string, error) {
	ctx, cancel := context.WithTimeout(b.ctx, browserTimeout)
	defer cancel()
	return chromedp.Run(ctx, chromedp.Location())
}

// waitURL waits until the tab's URL satisfies match, and returns it.
func (b *browser) waitURL(what string, match func(u *url.URL) bool) *url.URL {
	b.t.Helper()
	var at *url.URL
	last := ""
	defer func() {
		if at == nil {
			b.t.Logf("browser: never at %s; last at %s", what, last)
		}
	}()
	testwait.For(b.t, "the browser at "+what, func() bool {
		loc, err := b.tryLocation()
		if err != nil {
			last = "(" + err.Error() + ")" // mid-navigation: ask again
			return false
		}
		last = loc
		if u, err := url.Parse(last); err == nil && match(u) {
			at = u
		}
		return at != nil
	})
	return at
}

// waitVisible waits until the CSS selector matches a visible element.
func (b *browser) waitVisible(selector string, within time.Duration) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, within)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(selector))); err != nil {
		b.t.Fatalf("browser: waiting for %s at %s: %v", selector, b.location(), err)
	}
}

// text returns the text of the first element matching the CSS selector.
func (b *browser) text(selector string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, browserTimeout)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(selector)))
	if err != nil {
		b.t.Fatalf("browser: text of %s: %v", selector, err)
	}
	return s
}

// outerHTML returns the markup of the first element matching the CSS selector.
func (b *browser) outerHTML(selector string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, browserTimeout)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS(selector)))
	if err != nil {
		b.t.Fatalf("browser: markup of %s: %v", selector, err)
	}
	return s
}

// click clicks the first element matching the CSS selector.
func (b *browser) click(selector string) {
	b.t.Helper()
	b.do("click "+selector, chromedp.Click(chromedp.CSS(selector)))
}

// screenshot saves the viewport as <artifacts>/<test>-<name>.png.
func (b *browser) screenshot(name string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, browserTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.t.Fatalf("browser: screenshot: %v", err)
	}
	file := filepath.Join(artifactsDir(b.t), strings.ReplaceAll(b.t.Name(), "/", "_")+"-"+name+".png")
	if err := os.WriteFile(file, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot %s", file)
	return file
}

// artifactsDir is $PAYSYNC_TEST_ARTIFACTS (created if needed), else a
// temporary folder of the test.
func artifactsDir(t *testing.T) string {
	dir := os.Getenv("PAYSYNC_TEST_ARTIFACTS")
	if dir == "" {
		return t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// shop is a merchant's web shop: the pages success_url and cancel_url
// point at, on 127.0.0.1.
type shop struct {
	url  string
	mu   sync.Mutex
	hits []string
}

func startShop(t *testing.T) *shop {
	s := &shop{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.hits = append(s.hits, r.URL.Path)
		s.mu.Unlock()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><title>Shop</title><h1 id="shop">Shop page %s</h1>`, r.URL.Path)
	}))
	t.Cleanup(srv.Close)
	s.url = srv.URL
	return s
}

// shopMerchant creates a merchant whose return_hosts hold the shop's host
// and returns its API key.
func (a *app) shopMerchant(s *shop) string {
	a.t.Helper()
	u, _ := url.Parse(s.url)
	resp, body := a.do("POST", "/admin/v1/merchants", a.admin, map[string]any{
		"name": "shop", "return_hosts": []string{u.Hostname()},
		"payunit": map[string]string{"base_url": a.puURL, "api_user": "u", "api_password": "p", "api_key": "k", "mode": "test"},
	})
	if resp.StatusCode != 201 {
		a.t.Fatalf("create merchant: %d %s", resp.StatusCode, body)
	}
	var m struct {
		APIKey string `json:"api_key"`
	}
	json.Unmarshal(body, &m)
	return m.APIKey
}

// registered is the part of a checkout the browser tests use.
type registered struct {
	ID         string `json:"id"`
	State      string `json:"state"`
	ReturnURL  string `json:"return_url"`
	ResolvedBy string `json:"resolved_by"`
	Version    int64  `json:"version"`
	Action     *struct {
		RedirectURL string `json:"redirect_url"`
	} `json:"action"`
}

// registerWith registers a checkout with key and returns it, failing the
// test unless it is created.
func (a *app) registerWith(key string, body map[string]any) registered {
	a.t.Helper()
	resp, out := a.do("POST", "/v1/checkouts", key, body)
	if resp.StatusCode != 201 {
		a.t.Fatalf("register: %d %s", resp.StatusCode, out)
	}
	var c registered
	json.Unmarshal(out, &c)
	return c
}

// local turns a URL paysync handed out (on its public URL) into one the
// test's browser reaches.
func (a *app) local(public string) string {
	return a.url + strings.TrimPrefix(public, "http://paysync.test")
}

// payunitCheckout creates a pending sandbox PayUnit payment and registers
// it with the shop's URLs ("" leaves a URL out); it returns the PayUnit id
// and the checkout.
func (a *app) payunitCheckout(key, ref, successURL, cancelURL string) (string, registered) {
	a.t.Helper()
	puID := a.payunit.Create(sandbox.Payment{TransactionID: ref, Amount: "2500", Currency: "XAF", Scenario: sandbox.ScenarioPaysLost})
	body := map[string]any{"provider": "payunit", "reference": ref, "provider_ref": puID, "amount": "2500", "currency": "XAF"}
	if successURL != "" {
		body["success_url"] = successURL
	}
	if cancelURL != "" {
		body["cancel_url"] = cancelURL
	}
	return puID, a.registerWith(key, body)
}

func onPath(path string) func(u *url.URL) bool {
	return func(u *url.URL) bool { return u.Path == path }
}

func TestBrowserPayUnitReturnToSuccessURL(t *testing.T) {
	t.Parallel()
	b := newBrowser(t)
	a := startApp(t, "--poll-grace", "1h")
	s := startShop(t)
	key := a.shopMerchant(s)
	puID, c := a.payunitCheckout(key, "order-browser-ok", s.url+"/thanks?order=1", s.url+"/cart")

	// PayUnit sends the buyer back to return_url before its verdict is in.
	b.navigate(a.local(c.ReturnURL))
	b.waitVisible("#progress", 10*time.Second)
	if !strings.HasSuffix(b.location(), "/progress") {
		t.Fatalf("return page did not move on to the progress page: %s", b.location())
	}
	if got := b.text("h1"); !strings.Contains(got, "Confirming your payment") {
		t.Fatalf("progress heading %q", got)
	}
	b.screenshot("progress")

	if err := a.payunit.SetStatus(puID, sandbox.StatusSuccess); err != nil {
		t.Fatal(err)
	}
	u := b.waitURL("the shop's success URL", onPath("/thanks"))
	if u.Query().Get("order") != "1" || !strings.HasPrefix(u.String(), s.url) {
		t.Fatalf("landed on %s, want %s/thanks?order=1", u, s.url)
	}
	b.waitVisible("#shop", 5*time.Second)
	if got := a.checkoutWith(key, c.ID); got.State != "succeeded" {
		t.Fatalf("checkout %s, want succeeded", got.State)
	}
	// The page polled the status JSON many times; the provider was asked
	// because of the return once, then on the poller's own schedule.
	if n := a.eventsWith(key, c.ID)["browser_returned"]; n != 1 {
		t.Fatalf("%d browser returns recorded, want 1", n)
	}
}

func TestBrowserWithoutJavaScriptReachesResult(t *testing.T) {
	t.Parallel()
	b := newBrowser(t, withoutJavaScript)
	a := startApp(t, "--poll-grace", "1h")
	s := startShop(t)
	key := a.shopMerchant(s)
	puID, c := a.payunitCheckout(key, "order-browser-nojs", "", "")

	b.navigate(a.local(c.ReturnURL))
	b.waitVisible("#progress", 10*time.Second)
	// With scripting off the parser builds <noscript>'s content: the refresh is live.
	if html := b.outerHTML("head noscript meta"); !strings.Contains(html, `http-equiv="refresh"`) {
		t.Fatalf("no live meta refresh: %s", html)
	}
	b.screenshot("progress")
	if err := a.payunit.SetStatus(puID, sandbox.StatusSuccess); err != nil {
		t.Fatal(err)
	}
	// Only the <noscript> meta refresh can get the buyer there.
	b.waitVisible("#result", 30*time.Second)
	if got := b.text("h1"); got != "Payment confirmed" {
		t.Fatalf("result heading %q", got)
	}
	b.screenshot("result")
}

func TestBrowserFailedPaymentToCancelURL(t *testing.T) {
	t.Parallel()
	b := newBrowser(t)
	a := startApp(t, "--poll-grace", "1h")
	s := startShop(t)
	key := a.shopMerchant(s)
	puID, c := a.payunitCheckout(key, "order-browser-failed", s.url+"/thanks", s.url+"/cart")

	b.navigate(a.local(c.ReturnURL))
	b.waitVisible("#progress", 10*time.Second)
	if err := a.payunit.SetStatus(puID, sandbox.StatusFailed); err != nil {
		t.Fatal(err)
	}
	b.waitURL("the shop's cancel URL", onPath("/cart"))
	b.waitVisible("#shop", 5*time.Second)
	if got := a.checkoutWith(key, c.ID); got.State != "failed" {
		t.Fatalf("checkout %s, want failed", got.State)
	}
}

// A success_url outside the merchant's return_hosts is refused when the
// checkout is registered, so the pages never hold one (and they check the
// host again before redirecting; see web's tests).
func TestReturnURLOutsideReturnHostsRefused(t *testing.T) {
	t.Parallel()
	a := startApp(t)
	s := startShop(t)
	key := a.shopMerchant(s)
	resp, body := a.do("POST", "/v1/checkouts", key, map[string]any{"provider": "payunit", "reference": "order-evil",
		"amount": "10", "currency": "XAF", "success_url": "https://evil.example/ok", "cancel_url": s.url + "/cart"})
	if resp.StatusCode != 422 || resp.Header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("registration: %d %s %s, want 422 problem+json", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	var p struct {
		Errors []struct{ Field, Message string } `json:"errors"`
	}
	json.Unmarshal(body, &p)
	if len(p.Errors) != 1 || p.Errors[0].Field != "success_url" {
		t.Fatalf("errors %+v, want success_url only", p.Errors)
	}
}

// checkoutWith reads a checkout with the given merchant key.
func (a *app) checkoutWith(key, id string) registered {
	a.t.Helper()
	resp, body := a.do("GET", "/v1/checkouts/"+id, key, nil)
	if resp.StatusCode != 200 {
		a.t.Fatalf("get checkout: %d %s", resp.StatusCode, body)
	}
	var c registered
	json.Unmarshal(body, &c)
	return c
}

// eventsWith counts a checkout's events by type, read with the given key.
func (a *app) eventsWith(key, id string) map[string]int {
	a.t.Helper()
	saved := a.apiKey
	a.apiKey = key
	defer func() { a.apiKey = saved }()
	return a.events(id)
}
