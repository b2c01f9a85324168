package cli

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/paysync/paysync/internal/testwait"
	"github.com/paysync/paysync/sandbox"
)

// hookRecorder is a merchant's webhook endpoint that keeps the types of
// the deliveries it got.
type hookRecorder struct {
	url   string
	mu    sync.Mutex
	types []string
}

func startHookRecorder(t *testing.T) *hookRecorder {
	t.Helper()
	h := &hookRecorder{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Type string `json:"type"`
		}
		json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&body)
		h.mu.Lock()
		h.types = append(h.types, body.Type)
		h.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	h.url = srv.URL
	return h
}

// got reports whether a delivery of type typ arrived.
func (h *hookRecorder) got(typ string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, s := range h.types {
		if s == typ {
			return true
		}
	}
	return false
}

// started is the part of a started checkout the start tests use.
type started struct {
	registered
	PayURL   string `json:"pay_url"`
	Provider string `json:"provider"`
}

// startMerchant creates a merchant whose return_hosts hold the shop's
// host and whose webhooks go to hooks; it returns its API key and PayUnit
// notify URL.
func (a *app) startMerchant(s *shop, hooks *hookRecorder) (key, notify string) {
	a.t.Helper()
	u, _ := url.Parse(s.url)
	resp, body := a.do("POST", "/admin/v1/merchants", a.admin, map[string]any{
		"name": "start shop", "return_hosts": []string{u.Hostname()}, "webhook_url": hooks.url + "/paysync",
		"payunit": map[string]string{"base_url": a.puURL, "api_user": "u", "api_password": "p", "api_key": "k", "mode": "test"},
	})
	if resp.StatusCode != 201 {
		a.t.Fatalf("create merchant: %d %s", resp.StatusCode, body)
	}
	var m struct {
		APIKey string `json:"api_key"`
		Notify string `json:"payunit_notify_url"`
	}
	json.Unmarshal(body, &m)
	return m.APIKey, m.Notify
}

// start starts a PayUnit payment through paysync for the shop and returns
// the checkout, failing the test unless it is created with a pay URL.
func (a *app) start(key, ref string, s *shop) started {
	a.t.Helper()
	resp, out := a.do("POST", "/v1/checkouts", key, map[string]any{"provider": "payunit", "start": true,
		"reference": ref, "amount": "2500", "currency": "XAF", "description": "Order " + ref,
		"success_url": s.url + "/thanks?order=" + ref, "cancel_url": s.url + "/cart",
		"payment_country": "CM", "pay_with": "CM_MTNMOMO"})
	var c started
	json.Unmarshal(out, &c)
	if resp.StatusCode != 201 || c.PayURL == "" {
		a.t.Fatalf("start: %d %s", resp.StatusCode, out)
	}
	return c
}

// A buyer walks the whole started flow in a real browser: the shop starts
// the payment through paysync, the buyer pays on the sandbox PayUnit's
// page (with the keyboard), PayUnit posts its callback and sends the
// browser to paysync's return page, which forwards it to the shop once the
// payment is verified; the shop's webhook goes out. A second buyer cancels
// and lands on the cancel URL; a third pays and the callback is lost, and
// the return page's check settles the payment.
func TestBrowserStartedPaymentSandboxFlow(t *testing.T) {
	t.Parallel()
	b := newBrowser(t)
	// The public URL is the listener's, so that the sandbox reaches the
	// notify URL and the browser the return page; no poll settles anything.
	a := startApp(t, "--poll-grace", "1h", "--public-url=")
	s := startShop(t)
	hooks := startHookRecorder(t)
	key, notify := a.startMerchant(s, hooks)

	c := a.start(key, "order1042", s)
	inits := a.payunit.Initializations()
	want := sandbox.InitializeRequest{TotalAmount: "2500", Currency: "XAF", TransactionID: "order1042",
		NotifyURL: notify, ReturnURL: c.ReturnURL, Description: "Order order1042", PaymentCountry: "CM", PayWith: "CM_MTNMOMO"}
	if len(inits) != 1 || inits[0] != want {
		t.Fatalf("PayUnit was asked %+v, want [%+v]", inits, want)
	}
	if !strings.HasPrefix(c.PayURL, a.puURL+"/") || c.State != "pending" {
		t.Fatalf("started checkout: %+v", c)
	}

	b.navigate(c.PayURL)
	b.waitVisible("#pay", 10*time.Second)
	if got := b.text("#amount"); got != "2500 XAF" {
		t.Fatalf("pay page amount %q", got)
	}
	b.screenshot("payunit-page")
	// Keyboard only: the first Tab reaches Pay, Enter submits it.
	b.do("tab to the first button", chromedp.KeyEvent(kb.Tab))
	if got := evalJS[string](b, "document.activeElement.id"); got != "pay" {
		t.Fatalf("the first Tab focuses %q, want the Pay button", got)
	}
	b.do("pay with the keyboard", chromedp.KeyEvent(kb.Enter))

	u := b.waitURL("the shop's success URL", onPath("/thanks"))
	if u.Query().Get("order") != "order1042" || !strings.HasPrefix(u.String(), s.url) {
		t.Fatalf("landed on %s, want %s/thanks?order=order1042", u, s.url)
	}
	b.waitVisible("#shop", 5*time.Second)
	got := a.checkoutWith(key, c.ID)
	if got.State != "succeeded" || (got.ResolvedBy != "callback" && got.ResolvedBy != "browser_return") {
		t.Fatalf("checkout %s resolved by %q, want succeeded by the callback or the return", got.State, got.ResolvedBy)
	}
	testwait.For(t, "the checkout.succeeded webhook", func() bool { return hooks.got("checkout.succeeded") })
	ev := a.eventsWith(key, c.ID)
	// The return is recorded unless the callback settled the checkout first.
	if ev["payment_started"] != 1 || ev["callback_received"] != 1 || ev["browser_returned"] > 1 || ev["state_changed"] != 1 {
		t.Fatalf("events %v, want one start, one callback, at most one browser return, one transition", ev)
	}

	// The next buyer cancels on PayUnit's page: back at the shop's cart.
	c = a.start(key, "order1043", s)
	b.navigate(c.PayURL)
	b.waitVisible("#cancel", 10*time.Second)
	b.click("#cancel")
	b.waitURL("the shop's cancel URL", onPath("/cart"))
	b.waitVisible("#shop", 5*time.Second)
	if got := a.checkoutWith(key, c.ID); got.State != "cancelled" {
		t.Fatalf("cancelled payment's checkout is %s", got.State)
	}
	testwait.For(t, "the checkout.cancelled webhook", func() bool { return hooks.got("checkout.cancelled") })

	// A buyer pays and PayUnit loses the callback: the return page's check
	// finds the payment, and the buyer still lands on the success URL.
	c = a.start(key, "order1044", s)
	b.navigate(c.PayURL)
	b.waitVisible("#pay-lost", 10*time.Second)
	b.click("#pay-lost")
	b.waitURL("the shop's success URL after a lost callback", onPath("/thanks"))
	b.waitVisible("#shop", 5*time.Second)
	if got := a.checkoutWith(key, c.ID); got.State != "succeeded" || got.ResolvedBy != "browser_return" {
		t.Fatalf("lost callback: checkout %s resolved by %q, want succeeded by browser_return", got.State, got.ResolvedBy)
	}
	if ev := a.eventsWith(key, c.ID); ev["callback_received"] != 0 {
		t.Fatalf("lost callback: events %v", ev)
	}
}
