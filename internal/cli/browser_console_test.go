package cli

// Browser tests of the operator console (web/console) in headless
// Chromium: sign-in as the operator and as a merchant, scoping, search,
// the timeline of a checkout settled by callback with its live update,
// redelivery, replay and re-enable, French, CSRF, and the demo's payment
// form end to end. Each page is captured phone-sized and desktop-sized.

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/paysync/paysync/internal/testwait"
	"github.com/paysync/paysync/sandbox"
	"github.com/paysync/paysync/store"
)

const desktopWidth, desktopHeight = 1280, 900

// withFrench makes the browser ask for French pages.
func withFrench(b *browser) error {
	_, err := chromedp.Call(b.ctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Accept-Language": "fr-FR,fr;q=0.9"}})
	return err
}

// screens saves the page phone-sized, then desktop-sized, and goes back
// to the phone viewport.
func (b *browser) screens(name string) {
	b.t.Helper()
	b.screenshot(name + "-phone")
	b.do("desktop viewport", chromedp.EmulateViewport(desktopWidth, desktopHeight))
	b.screenshot(name + "-desktop")
	b.do("phone viewport", chromedp.EmulateViewport(phoneWidth, phoneHeight, chromedp.EmulateMobile, chromedp.EmulateTouch))
}

// eval runs a JavaScript expression and returns its JSON-decoded result.
func evalJS[T any](b *browser, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, browserTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("browser: eval %s: %v", expr, err)
	}
	return v
}

// tryEval evaluates a boolean expression in the page; false when it can't
// (the page is being replaced by a navigation).
func (b *browser) tryEval(expr string) bool {
	ctx, cancel := context.WithTimeout(b.ctx, browserTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
	return err == nil && v
}

// signIn signs in at /console/ with token and waits for the overview.
func (b *browser) signIn(base, token string) {
	b.t.Helper()
	b.navigate(base + "/console/")
	b.waitVisible("#signin", 10*time.Second)
	b.do("type the token", chromedp.SendKeys(chromedp.CSS("#token"), token))
	b.click("#signin-button")
	b.waitURL("the overview", onPath("/console/overview"))
	b.waitVisible("#counts", 5*time.Second)
}

// hookServer is a merchant's webhook endpoint answering status (settable).
type hookServer struct {
	url    string
	hits   atomic.Int64
	status atomic.Int64
}

func startHooks(t *testing.T, status int) *hookServer {
	h := &hookServer{}
	h.status.Store(int64(status))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		h.hits.Add(1)
		w.WriteHeader(int(h.status.Load()))
	}))
	t.Cleanup(srv.Close)
	h.url = srv.URL
	return h
}

// webhookMerchant creates a merchant with a webhook URL ("" for none)
// and returns its API key and PayUnit notify path.
func (a *app) webhookMerchant(name, hook string) (key, notify string) {
	a.t.Helper()
	body := map[string]any{"name": name, "return_hosts": []string{"shop.example"},
		"payunit": map[string]string{"base_url": a.puURL, "api_user": "u", "api_password": "p", "api_key": "k", "mode": "test"}}
	if hook != "" {
		body["webhook_url"] = hook
	}
	resp, out := a.do("POST", "/admin/v1/merchants", a.admin, body)
	if resp.StatusCode != 201 {
		a.t.Fatalf("create merchant: %d %s", resp.StatusCode, out)
	}
	var m struct {
		APIKey string `json:"api_key"`
		Notify string `json:"payunit_notify_url"`
	}
	json.Unmarshal(out, &m)
	return m.APIKey, strings.Replace(m.Notify, "http://paysync.test", "", 1)
}

// callbackCheckout registers a PayUnit checkout whose sandbox payment
// posts its callback to notify when resolved; it returns the PayUnit id.
func (a *app) callbackCheckout(key, notify, ref string, sc sandbox.Scenario) (string, registered) {
	a.t.Helper()
	puID := a.payunit.Create(sandbox.Payment{TransactionID: ref, Amount: "2500", Currency: "XAF", NotifyURL: a.url + notify, Scenario: sc})
	return puID, a.registerWith(key, map[string]any{"provider": "payunit", "reference": ref, "provider_ref": puID,
		"amount": "2500", "currency": "XAF"})
}

func TestConsoleOperatorTimelineLiveRedeliver(t *testing.T) {
	t.Parallel()
	b := newBrowser(t)
	a := startApp(t, "--poll-grace", "1h")
	hooks := startHooks(t, http.StatusNoContent)
	key, notify := a.webhookMerchant("shop", hooks.url)
	puID, c := a.callbackCheckout(key, notify, "order-console-1", sandbox.ScenarioPays)

	b.navigate(a.url + "/console/")
	b.waitVisible("#signin", 10*time.Second)
	b.screens("signin")
	b.signIn(a.url, a.admin)
	if got := b.text("#who"); got != "Operator" {
		t.Fatalf("signed in as %q, want Operator", got)
	}
	b.screens("overview")

	b.navigate(a.url + "/console/checkouts/" + c.ID)
	b.waitVisible(`#state[data-state="pending"]`, 10*time.Second)
	evalJS[bool](b, `window.__stayed = true`)
	if err := a.payunit.Resolve(context.Background(), puID); err != nil {
		t.Fatal(err)
	}
	// The change feed tells the page; it updates without a navigation.
	b.waitVisible(`#state[data-state="succeeded"]`, 20*time.Second)
	if !evalJS[bool](b, `window.__stayed === true`) {
		t.Fatal("the page navigated instead of updating in place")
	}
	if got := b.text("#resolved-by"); !strings.Contains(got, "callback") {
		t.Fatalf("resolved by %q, want callback", got)
	}
	timeline := b.text("#timeline")
	for _, want := range []string{"Callback received", "Status checked", "State changed", "pending → succeeded", "Webhook"} {
		if !strings.Contains(timeline, want) {
			t.Fatalf("timeline lacks %q:\n%s", want, timeline)
		}
	}
	if raw := b.outerHTML("#timeline .raw pre"); !strings.Contains(raw, "order-console-1") {
		t.Fatalf("callback's raw body not shown: %s", raw)
	}
	// The delivery goes out; the page polls while it is pending.
	b.waitVisible(`#timeline .delivery-delivered`, 20*time.Second)
	b.screens("checkout")

	b.click("#timeline .redeliver")
	b.waitVisible("#flash", 10*time.Second)
	testwait.For(t, "the redelivery", func() bool { return hooks.hits.Load() >= 2 })
	testwait.For(t, "the second attempt on the page", func() bool {
		// Read in the page in one step: the live timeline replaces its
		// markup on each change, so a node looked up first may be gone.
		attempts := evalJS[string](b, `(document.querySelector("#timeline .attempts") || {}).outerHTML || ""`)
		return strings.Count(attempts, "HTTP 204") >= 2
	})

	// A form posted without its CSRF token is refused.
	status := evalJS[int](b, `fetch("/console/checkouts/`+c.ID+`/check", {method: "POST", credentials: "same-origin",
		headers: {"Content-Type": "application/x-www-form-urlencoded"}, body: "csrf=forged"}).then(r => r.status)`)
	if status != http.StatusForbidden {
		t.Fatalf("check without a valid CSRF token: %d, want 403", status)
	}

	b.navigate(a.url + "/console/checkouts?q=order-console-1")
	b.waitVisible("#results", 10*time.Second)
	if n := evalJS[int](b, `document.querySelectorAll("#results .checkout-row").length`); n != 1 {
		t.Fatalf("search by reference: %d rows, want 1", n)
	}
	b.screens("search")

	b.click("#signout")
	b.waitURL("the sign-in page", onPath("/console/"))
	b.navigate(a.url + "/console/overview")
	b.waitURL("the sign-in page after sign-out", onPath("/console/"))
}

func TestConsoleMerchantSeesOnlyItsOwn(t *testing.T) {
	t.Parallel()
	b := newBrowser(t)
	a := startApp(t, "--poll-grace", "1h")
	_, acme := a.payunitCheckout(a.apiKey, "order-acme", "", "")
	globexKey, _ := a.webhookMerchant("globex", "")
	_, mine := a.payunitCheckout(globexKey, "order-globex", "", "")

	b.signIn(a.url, globexKey)
	if got := b.text("#who"); got != "globex" {
		t.Fatalf("signed in as %q, want globex", got)
	}
	b.navigate(a.url + "/console/checkouts")
	b.waitVisible("#results", 10*time.Second)
	rows := b.outerHTML("#results")
	if !strings.Contains(rows, mine.ID) || strings.Contains(rows, acme.ID) {
		t.Fatalf("merchant list: want only %s, got %s", mine.ID, rows)
	}
	b.screens("checkouts")
	for _, q := range []string{acme.ID, "order-acme"} {
		b.navigate(a.url + "/console/checkouts?q=" + q)
		b.waitVisible("#no-results", 10*time.Second)
	}
	b.navigate(a.url + "/console/checkouts/" + acme.ID)
	b.waitVisible("#message", 10*time.Second)
	if html := b.outerHTML("main"); strings.Contains(html, "order-acme") {
		t.Fatal("another merchant's checkout page shows its data")
	}
	b.screens("not-found")
}

// runOutSchedule waits for the first (failed) attempt of the checkout's
// delivery and then records the end of its retry schedule, as the
// dispatcher does after its last retry; a claim racing it just retries.
func (a *app) runOutSchedule(checkoutID string) {
	a.t.Helper()
	ctx := context.Background()
	db := a.svc.Store()
	merchant, err := db.ScopedCheckout(ctx, store.OperatorScope(), checkoutID)
	if err != nil {
		a.t.Fatal(err)
	}
	testwait.For(a.t, "a failed attempt, then the schedule run out", func() bool {
		ds, err := db.Deliveries(ctx, merchant.MerchantID, store.DeliveryFilter{CheckoutID: checkoutID})
		if err != nil || len(ds) != 1 || len(ds[0].History) == 0 {
			return false
		}
		if ds[0].Status == store.DeliveryFailed {
			return true
		}
		db.RecordAttempt(ctx, store.AttemptResult{DeliveryID: ds[0].ID, ClaimSeq: ds[0].ClaimSeq, Status: store.DeliveryFailed})
		return false
	})
}

func TestConsoleDeliveriesReplayAndReenable(t *testing.T) {
	t.Parallel()
	b := newBrowser(t, withFrench)
	a := startApp(t, "--poll-grace", "1h")
	hooks := startHooks(t, http.StatusGone)
	key, notify := a.webhookMerchant("shop", hooks.url)
	puID, c := a.callbackCheckout(key, notify, "order-gone", sandbox.ScenarioPays)
	if err := a.payunit.Resolve(context.Background(), puID); err != nil {
		t.Fatal(err)
	}
	testwait.For(t, "the 410", func() bool { return hooks.hits.Load() >= 1 })
	// Another merchant's endpoint answers 500; its schedule is then run
	// out as the dispatcher's last attempt would (hours of retries).
	failing := startHooks(t, http.StatusInternalServerError)
	failKey, failNotify := a.webhookMerchant("failing", failing.url)
	failPU, failed := a.callbackCheckout(failKey, failNotify, "order-failing", sandbox.ScenarioPays)
	if err := a.payunit.Resolve(context.Background(), failPU); err != nil {
		t.Fatal(err)
	}
	a.runOutSchedule(failed.ID)

	b.signIn(a.url, a.admin)
	if got := b.text("h1"); got != "Vue d'ensemble" {
		t.Fatalf("French overview heading %q", got)
	}
	b.screens("overview-fr")
	b.navigate(a.url + "/console/deliveries")
	b.waitVisible("#deliveries", 10*time.Second)
	testwait.For(t, "both deliveries listed", func() bool {
		b.navigate(a.url + "/console/deliveries")
		b.waitVisible("#deliveries", 10*time.Second)
		return evalJS[int](b, `document.querySelectorAll("#deliveries > li").length`) == 2
	})
	if got := b.text("h1"); got != "Livraisons de webhooks" {
		t.Fatalf("French deliveries heading %q", got)
	}
	b.screens("deliveries-fr")

	// Replay the failed since an hour ago: it goes out again (and is answered 204 now).
	failing.status.Store(http.StatusNoContent)
	hitsBefore := failing.hits.Load()
	b.do("set since", chromedp.SetValue(chromedp.CSS("#since"), time.Now().UTC().Add(-time.Hour).Format("2006-01-02T15:04")))
	b.click("#replay-button")
	b.waitVisible("#flash", 10*time.Second)
	if got := b.text("#flash"); !strings.HasPrefix(got, "1 ") {
		t.Fatalf("replay flash %q, want 1 replayed", got)
	}
	testwait.For(t, "the replayed delivery", func() bool { return failing.hits.Load() > hitsBefore })

	// Re-enable the endpoint after its 410: the held delivery goes out.
	hooks.status.Store(http.StatusNoContent)
	evalJS[bool](b, `(document.querySelector("#flash").dataset.previous = "1") === "1"`)
	b.click(".enable")
	// The page the form's redirect loads, not the replay's flash still shown
	// while it loads (navigating away then would abort the redirect).
	testwait.For(t, "the re-enable's page with its flash", func() bool {
		return b.tryEval(`(() => { const f = document.querySelector("#flash"); return !!f && !f.dataset.previous && document.readyState === "complete" })()`)
	})
	if got := b.text("#flash"); !strings.HasPrefix(got, "1 ") {
		t.Fatalf("re-enable flash %q, want 1 released", got)
	}
	testwait.For(t, "the released delivery", func() bool { return hooks.hits.Load() >= 2 })
	b.navigate(a.url + "/console/checkouts/" + c.ID)
	b.waitVisible(`#timeline .delivery-delivered`, 20*time.Second)
	if got := b.text("#timeline-h"); got != "Chronologie" {
		t.Fatalf("French timeline heading %q", got)
	}
	b.screens("checkout-fr")
}

// startDemo runs `paysync demo` until the test ends and returns its
// console sign-in link.
func startDemo(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out := &lockedBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, []string{"demo", "--addr", "127.0.0.1:0", "--db", filepath.Join(t.TempDir(), "demo.db")},
			func(string) string { return "" }, out, io.Discard)
	}()
	var once sync.Once
	t.Cleanup(func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("demo returned %v", err)
			}
		})
	})
	link := regexp.MustCompile(`http://\S+/console/signin/[0-9a-f]+`)
	testwait.For(t, "the demo's console link", func() bool { return link.MatchString(out.String()) })
	return link.FindString(out.String())
}

func TestConsoleDemoPaymentForm(t *testing.T) {
	if testing.Short() {
		t.Skip("boots the whole demo")
	}
	t.Parallel()
	b := newBrowser(t)
	link := startDemo(t)
	base := link[:strings.Index(link, "/console/")]

	b.navigate(link)
	b.waitURL("the demo form", onPath("/console/demo"))
	b.waitVisible("#demo", 5*time.Second)
	b.screens("demo-form")
	// The link is good once.
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Get(link)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for _, ck := range resp.Cookies() {
		if ck.Name == "paysync_console" {
			t.Fatalf("second use of the sign-in link set a session: %v", resp.Cookies())
		}
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("second use of the sign-in link: %d, want 200 and the sign-in page saying it was used", resp.StatusCode)
	}

	b.click("#scenario-payunit_pays")
	b.click("#start")
	b.waitVisible("#live", 10*time.Second)
	b.waitVisible(`#state[data-state="succeeded"]`, 30*time.Second)
	b.waitVisible(`#timeline .delivery-delivered`, 30*time.Second)
	if got := b.text("#resolved-by"); !strings.Contains(got, "callback") {
		t.Fatalf("demo payment resolved by %q", got)
	}
	b.screens("demo-checkout")

	// The newcomer as the buyer: the started checkout's page links the
	// sandbox PayUnit's page; paying there leads through paysync's return
	// page back to the shop (here the console's checkouts).
	b.navigate(base + "/console/demo")
	b.click("#scenario-payunit_page")
	b.click("#start")
	b.waitVisible("#pay-as-buyer", 10*time.Second)
	b.waitVisible("#timeline .kind-start", 10*time.Second)
	b.click("#pay-as-buyer")
	b.waitVisible("#pay", 10*time.Second)
	b.screens("demo-payunit-page")
	b.click("#pay")
	b.waitURL("back in the console from PayUnit", onPath("/console/checkouts"))
	b.waitVisible("#results", 10*time.Second)
	testwait.For(t, "the paid payment settled", func() bool {
		b.navigate(b.location())
		b.waitVisible("#results", 10*time.Second)
		return strings.Contains(b.outerHTML("#results"), "state-succeeded")
	})
	b.click("#results a.id")
	b.waitVisible("#timeline .kind-start", 10*time.Second)
	if got := b.text("#timeline .kind-start"); !strings.Contains(got, "Payment started at PayUnit") || !strings.Contains(got, "started") {
		t.Fatalf("the timeline's start entry reads %q", got)
	}

	// Azotte with a 3-D Secure challenge, approved in the sandbox's page.
	b.navigate(base + "/console/demo")
	b.click("#scenario-azotte_3ds")
	b.click("#start")
	b.waitVisible("#threeds", 30*time.Second)
	b.screens("demo-3ds")
	b.click("#threeds")
	b.waitVisible("#approve", 10*time.Second)
	b.click("#approve")
	b.waitURL("back in the console", onPath("/console/checkouts"))
	b.waitVisible("#results", 10*time.Second)
	testwait.For(t, "the approved payment settled", func() bool {
		b.navigate(b.location())
		b.waitVisible("#results", 10*time.Second)
		return strings.Contains(b.outerHTML("#results"), "state-succeeded")
	})
}
