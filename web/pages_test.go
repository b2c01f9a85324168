package web

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/paysync/paysync/store"
)

const threeDSRedirect = `{"redirectUrl":"https://acs.bank.example/challenge/42","htmlContent":null,"showHtmlContent":false,
	"threeDIdentifier":"3ds-42","isRedirectRequired":true,"hasNextSteps":true}`

func wantPageHeaders(t *testing.T, h http.Header) {
	t.Helper()
	csp := h.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "frame-ancestors 'none'", "base-uri 'none'", "script-src 'self'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "no-referrer" || h.Get("Cache-Control") != "no-store" {
		t.Errorf("headers %v lack nosniff, no-referrer or no-store", h)
	}
}

func TestThreeDSRedirectsToProvider(t *testing.T) {
	en := setup(t)
	c := en.observe(en.register("trk_1", "", ""), store.StateActionRequired, threeDSRedirect)
	rec := en.request("GET", "/pay/"+c.Token+"/3ds", "")
	wantRedirect(t, rec, "https://acs.bank.example/challenge/42")
	wantPageHeaders(t, rec.Header())
	if en.events(c)[store.EventBrowserReturned] != 0 || en.waker.n.Load() != 0 {
		t.Fatal("opening the 3DS step recorded a return or woke the poller")
	}
}

func TestThreeDSRefusesUnsafeRedirect(t *testing.T) {
	for _, bad := range []string{`javascript:alert(1)`, `/relative/path`, `//evil.example/x`, `data:text/html,hi`} {
		en := setup(t)
		raw, _ := json.Marshal(map[string]any{"redirectUrl": bad, "showHtmlContent": false})
		c := en.observe(en.register("trk_1", "", ""), store.StateActionRequired, string(raw))
		rec := en.request("GET", "/pay/"+c.Token+"/3ds", "")
		wantPage(t, rec, http.StatusBadGateway, "verification step could not be opened")
	}
}

func TestThreeDSHTMLContentIsolated(t *testing.T) {
	en := setup(t)
	html := `<form id="f" method="post" action="https://acs.bank.example/c"><button>Continue</button></form><script>document.getElementById("f").submit()</script>`
	raw, _ := json.Marshal(map[string]any{"redirectUrl": nil, "htmlContent": html, "showHtmlContent": true, "isRedirectRequired": false})
	c := en.observe(en.register("trk_1", "", ""), store.StateActionRequired, string(raw))

	wantRedirect(t, en.request("GET", "/pay/"+c.Token+"/3ds", ""), "/pay/"+c.Token+"/3ds/frame")
	rec := en.request("GET", "/pay/"+c.Token+"/3ds/frame", "")
	if rec.Code != 200 || rec.Body.String() != html {
		t.Fatalf("frame: %d %q, want the provider's htmlContent verbatim", rec.Code, rec.Body)
	}
	csp := rec.Header().Get("Content-Security-Policy")
	if !strings.HasPrefix(csp, "sandbox allow-forms allow-scripts") || strings.Contains(csp, "allow-same-origin") {
		t.Fatalf("frame CSP %q: want a sandbox giving an opaque origin (no allow-same-origin)", csp)
	}
	if rec.Header().Get("X-Content-Type-Options") != "nosniff" || rec.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("frame headers %v", rec.Header())
	}
}

func TestThreeDSWhenNoLongerRequired(t *testing.T) {
	en := setup(t)
	c := en.register("trk_1", "", "")
	wantRedirect(t, en.request("GET", "/pay/"+c.Token+"/3ds", ""), "/pay/"+c.Token+"/progress")
	wantRedirect(t, en.request("GET", "/pay/"+c.Token+"/3ds/frame", ""), "/pay/"+c.Token+"/3ds")
}

func TestReturnRecordsOnceAndWakes(t *testing.T) {
	en := setup(t)
	c := en.observe(en.register("trk_1", "https://shop.example/ok", "https://shop.example/cancel"), store.StateActionRequired, threeDSRedirect)
	progress := "/pay/" + c.Token + "/progress"

	// The challenge server POSTs back a form; paysync ignores it.
	rec := en.request("POST", "/pay/"+c.Token+"/return", "PaRes=eJzL&MD=abc", "Content-Type", "application/x-www-form-urlencoded")
	wantRedirect(t, rec, progress)
	wantPageHeaders(t, rec.Header())
	if got := en.events(c)[store.EventBrowserReturned]; got != 1 || en.waker.n.Load() != 1 {
		t.Fatalf("after the return: %d returns recorded, %d wakes; want 1 and 1", got, en.waker.n.Load())
	}
	after, err := en.db.CheckoutByToken(t.Context(), c.Token)
	if err != nil {
		t.Fatal(err)
	}
	if after.NextCheckAt == nil || after.NextCheckAt.After(en.clock.Now()) {
		t.Fatalf("next check at %v, want due now (%v)", after.NextCheckAt, en.clock.Now())
	}

	// Reloads of the progress page and repeated returns within the gap ask for nothing.
	for range 5 {
		wantPage(t, en.request("GET", progress, ""), http.StatusOK)
		wantRedirect(t, en.request("GET", "/pay/"+c.Token+"/return", ""), progress)
		en.request("GET", "/pay/"+c.Token+"/status", "")
	}
	if got := en.events(c)[store.EventBrowserReturned]; got != 1 || en.waker.n.Load() != 1 {
		t.Fatalf("after reloads: %d returns recorded, %d wakes; want still 1 and 1", got, en.waker.n.Load())
	}

	// A return after the gap counts again.
	en.clock.Advance(11 * time.Second)
	wantRedirect(t, en.request("GET", "/pay/"+c.Token+"/return", ""), progress)
	if got := en.events(c)[store.EventBrowserReturned]; got != 2 || en.waker.n.Load() != 2 {
		t.Fatalf("after the gap: %d returns recorded, %d wakes; want 2 and 2", got, en.waker.n.Load())
	}
}

func TestReturnBodyLimit(t *testing.T) {
	en := setup(t)
	c := en.register("trk_1", "", "")
	rec := en.request("POST", "/pay/"+c.Token+"/return", strings.Repeat("a", 17<<10), "Content-Type", "application/x-www-form-urlencoded")
	wantPage(t, rec, http.StatusRequestEntityTooLarge)
	if en.events(c)[store.EventBrowserReturned] != 0 {
		t.Fatal("an oversized return was recorded")
	}
}

func TestProgressPageWorksWithAndWithoutJavaScript(t *testing.T) {
	en := setup(t)
	c := en.observe(en.register("trk_1", "", ""), store.StateActionRequired, threeDSRedirect)
	rec := en.request("GET", "/pay/"+c.Token+"/progress", "")
	wantPage(t, rec, http.StatusOK,
		`<noscript><meta http-equiv="refresh" content="3"></noscript>`,               // without JavaScript
		`data-status-url="/pay/`+c.Token+`/status"`, `src="/pay/assets/progress.js"`, // with it
		`role="status" aria-live="polite"`, `name="viewport"`,
		`href="/pay/`+c.Token+`/3ds"`) // back to the bank while 3DS is pending
	wantPageHeaders(t, rec.Header())

	for _, asset := range []string{"/pay/assets/progress.js", "/pay/assets/style.css"} {
		rec := en.request("GET", asset, "")
		if rec.Code != 200 || rec.Body.Len() == 0 || rec.Header().Get("X-Content-Type-Options") != "nosniff" {
			t.Fatalf("%s: %d, %d bytes, headers %v", asset, rec.Code, rec.Body.Len(), rec.Header())
		}
	}
}

func TestStatusJSON(t *testing.T) {
	en := setup(t)
	c := en.register("trk_1", "https://shop.example/ok", "https://shop.example/cancel")
	rec := en.request("GET", "/pay/"+c.Token+"/status", "")
	if rec.Code != 200 || rec.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("status: %d %v", rec.Code, rec.Header())
	}
	var got map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"state": "pending", "terminal": false, "done": false, "next_url": nil}
	if len(got) != len(want) {
		t.Fatalf("status JSON %v has fields beyond %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("status JSON %v, want %v", got, want)
		}
	}

	en.observe(c, store.StateSucceeded, "")
	rec = en.request("GET", "/pay/"+c.Token+"/status", "")
	if !strings.Contains(rec.Body.String(), `"terminal":true,"done":true,"next_url":"https://shop.example/ok"`) {
		t.Fatalf("status JSON once succeeded: %s", rec.Body)
	}
}

func TestTerminalSendsBuyerToShop(t *testing.T) {
	cases := []struct {
		state store.State
		want  string
	}{
		{store.StateSucceeded, "https://shop.example/ok?order=1"},
		{store.StateFailed, "https://shop.example/cancel"},
		{store.StateCancelled, "https://shop.example/cancel"},
	}
	for _, tc := range cases {
		t.Run(string(tc.state), func(t *testing.T) {
			en := setup(t)
			c := en.observe(en.register("trk_1", "https://shop.example/ok?order=1", "https://shop.example/cancel"), tc.state, "")
			wantRedirect(t, en.request("GET", "/pay/"+c.Token+"/progress", ""), tc.want)
			wantRedirect(t, en.request("POST", "/pay/"+c.Token+"/return", "x=1"), tc.want)
			if en.events(c)[store.EventBrowserReturned] != 0 || en.waker.n.Load() != 0 {
				t.Fatal("a return to a terminal checkout asked for a check")
			}
		})
	}
}

func TestExpiredSendsBuyerToCancelURL(t *testing.T) {
	en := setup(t)
	c := en.register("trk_1", "https://shop.example/ok", "https://shop.example/cancel")
	claimed, err := en.db.ClaimDue(t.Context(), 10, time.Minute)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claim: %v %v", claimed, err)
	}
	cl := claimed[0]
	if _, err := en.db.Apply(t.Context(), store.Observation{CheckoutID: cl.ID, Version: cl.Version, WakeSeq: cl.WakeSeq,
		ClaimSeq: cl.ClaimSeq, Expire: true}); err != nil {
		t.Fatal(err)
	}
	wantRedirect(t, en.request("GET", "/pay/"+c.Token+"/progress", ""), "https://shop.example/cancel")
	// Coming back wakes the expired checkout: the buyer waits for that check.
	wantRedirect(t, en.request("GET", "/pay/"+c.Token+"/return", ""), "/pay/"+c.Token+"/progress")
	wantPage(t, en.request("GET", "/pay/"+c.Token+"/progress", ""), http.StatusOK, `id="progress"`)
}

func TestNeverRedirectsOutsideReturnHosts(t *testing.T) {
	en := setup(t)
	// Registered before the merchant dropped the host, or forged in the
	// database: the host is checked again at redirect time.
	c := en.observe(en.register("trk_1", "https://evil.example/ok", "https://shop.example.evil.example/cancel"), store.StateSucceeded, "")
	rec := en.request("GET", "/pay/"+c.Token+"/progress", "")
	wantPage(t, rec, http.StatusOK, "Payment confirmed", `id="result"`)
	rec = en.request("GET", "/pay/"+c.Token+"/return", "")
	wantRedirect(t, rec, "/pay/"+c.Token+"/progress")
	rec = en.request("GET", "/pay/"+c.Token+"/status", "")
	if strings.Contains(rec.Body.String(), "evil") {
		t.Fatalf("status JSON offers the foreign URL: %s", rec.Body)
	}
}

func TestResultPageWithoutURLs(t *testing.T) {
	en := setup(t)
	c := en.observe(en.register("trk_1", "", ""), store.StateFailed, "")
	rec := en.request("GET", "/pay/"+c.Token+"/progress", "")
	wantPage(t, rec, http.StatusOK, "Payment failed", `data-state="failed"`, `role="status"`)
	if strings.Contains(rec.Body.String(), "<script") || strings.Contains(rec.Body.String(), "refresh") {
		t.Fatal("the result page should neither script nor reload")
	}
}

func TestLanguages(t *testing.T) {
	en := setup(t)
	c := en.register("trk_1", "", "")
	cases := []struct{ header, lang, heading string }{
		{"", "en", "Confirming your payment"},
		{"fr-FR,fr;q=0.9,en;q=0.8", "fr", "Confirmation de votre paiement"},
		{"de-DE, en;q=0.5, fr;q=0.7", "fr", "Confirmation de votre paiement"},
		{"fr;q=0.2, en-GB", "en", "Confirming your payment"},
		{"de, es", "en", "Confirming your payment"},
		{"fr;q=0", "en", "Confirming your payment"},
		{"FR-ca", "fr", "Confirmation de votre paiement"},
	}
	for _, tc := range cases {
		rec := en.request("GET", "/pay/"+c.Token+"/progress", "", "Accept-Language", tc.header)
		wantPage(t, rec, http.StatusOK, `<html lang="`+tc.lang+`">`, tc.heading)
		if !strings.Contains(rec.Header().Get("Vary"), "Accept-Language") {
			t.Fatalf("no Vary: Accept-Language")
		}
	}
	wantPage(t, en.request("GET", "/pay/"+strings.Repeat("x", 32)+"/progress", "", "Accept-Language", "fr"),
		http.StatusNotFound, "Page introuvable")
}

func TestUnknownTokensAreOneNotFoundPage(t *testing.T) {
	en := setup(t)
	c := en.register("trk_1", "", "")
	unknown := strings.Repeat("A", len(c.Token))
	var first string
	for _, path := range []string{
		"/pay/" + unknown + "/progress", "/pay/" + unknown + "/3ds", "/pay/" + unknown + "/3ds/frame",
		"/pay/" + unknown + "/status", "/pay/" + unknown + "/return", "/pay/short/progress",
		"/pay/" + c.Token + "%27or%201=1/progress", "/pay/" + c.Token + "/nope", "/pay/", "/pay/assets/../web.go",
	} {
		rec := en.request("GET", path, "")
		wantPage(t, rec, http.StatusNotFound, "Page not found")
		wantPageHeaders(t, rec.Header())
		if first == "" {
			first = rec.Body.String()
		} else if rec.Body.String() != first {
			t.Fatalf("%s: a different 404 page", path)
		}
	}
	if n := en.events(c)[store.EventBrowserReturned]; n != 0 {
		t.Fatal("an unknown token recorded a return")
	}
	if len(c.Token) < 22 { // 128 bits in base64url
		t.Fatalf("token %q is shorter than 128 bits", c.Token)
	}
}
