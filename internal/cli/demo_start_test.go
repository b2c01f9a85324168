package cli

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/paysync/paysync/internal/testwait"
)

// runDemo runs `paysync demo` until the test ends and returns everything
// it printed at start.
func runDemo(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out := &lockedBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, []string{"demo", "--addr", "127.0.0.1:0", "--db", filepath.Join(t.TempDir(), "demo.db")},
			func(string) string { return "" }, out, io.Discard)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("demo returned %v", err)
		}
	})
	testwait.For(t, "the demo's walkthroughs", func() bool { return strings.Contains(out.String(), "Other scenarios") })
	return out.String()
}

// The demo's printed PayUnit walkthrough works as written: the started
// payment (pay_url, the buyer's choice on the sandbox page, the callback,
// the return page forwarding to the demo shop), then a payment only
// registered.
func TestDemoPayUnitStartWalkthrough(t *testing.T) {
	if testing.Short() {
		t.Skip("boots the whole demo")
	}
	t.Parallel()
	text := runDemo(t)
	find := func(re string) string {
		t.Helper()
		m := regexp.MustCompile(re).FindStringSubmatch(text)
		if m == nil {
			t.Fatalf("demo output lacks %s:\n%s", re, text)
		}
		return m[1]
	}
	paysync, key, sb := find(`export PAYSYNC=(\S+)`), find(`KEY=(\S+)`), find(`SANDBOX=(\S+)`)
	startBody, shopURL := find(`-d '(\{"provider":"payunit","start":true[^']*)'`), find(`demo shop\s+(\S+)`)

	// 1. The shop starts the payment through paysync.
	code, c := jsonCall(t, "POST", paysync+"/v1/checkouts", key, startBody)
	payURL, _ := c["pay_url"].(string)
	id, _ := c["id"].(string)
	if code != http.StatusCreated || !strings.HasPrefix(payURL, sb+"/sandbox/payments/") || c["state"] != "pending" {
		t.Fatalf("start: %d %v", code, c)
	}
	// The same request again: the same checkout and page, PayUnit not asked again.
	if code, again := jsonCall(t, "POST", paysync+"/v1/checkouts", key, startBody); code != http.StatusOK || again["id"] != id || again["pay_url"] != payURL {
		t.Fatalf("the same start again: %d %v", code, again)
	}

	// 2. The buyer pays on the pay page (the printed curl), and is sent
	// to paysync's return page, which forwards to the shop once verified.
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.PostForm(payURL, url.Values{"choice": {"pays"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	returnURL, _ := c["return_url"].(string)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != returnURL {
		t.Fatalf("pay: %d to %q, want 303 to the checkout's return_url %s", resp.StatusCode, resp.Header.Get("Location"), returnURL)
	}
	get := func() map[string]any {
		_, c := jsonCall(t, "GET", paysync+"/v1/checkouts/"+id, key, "")
		return c
	}
	testwait.For(t, "succeeded", func() bool { return get()["state"] == "succeeded" })
	resp, err = http.Get(returnURL)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.Request.URL.String() != shopURL+"/thanks" || !strings.Contains(string(page), `id="shop"`) {
		t.Fatalf("the return page led to %s: %s", resp.Request.URL, page)
	}

	// 3. What paysync saw.
	_, ev := jsonCall(t, "GET", paysync+"/v1/checkouts/"+id+"/events", key, "")
	types := map[string]int{}
	for _, e := range ev["data"].([]any) {
		types[e.(map[string]any)["type"].(string)]++
	}
	if types["payment_started"] != 1 || types["callback_received"] != 1 || types["state_changed"] != 1 {
		t.Fatalf("events %v", types)
	}

	// A payment the shop started at PayUnit itself, only registered.
	createBody := find(`curl -s \$SANDBOX/sandbox/payments -d '([^']*)'`)
	code, created := jsonCall(t, "POST", sb+"/sandbox/payments", "", createBody)
	puID, _ := created["checkout_id"].(string)
	if code != http.StatusCreated || puID == "" {
		t.Fatalf("sandbox payment: %d %v", code, created)
	}
	registerBody := find(`-d '(\{"provider":"payunit","reference":"order2"[^']*)'`)
	code, c = jsonCall(t, "POST", paysync+"/v1/checkouts", key, registerBody)
	if code != http.StatusCreated || c["pay_url"] != nil {
		t.Fatalf("register: %d %v", code, c)
	}
	id = c["id"].(string)
	if code, _ := jsonCall(t, "POST", sb+"/sandbox/payments/"+puID+"/resolve", "", ""); code != http.StatusOK {
		t.Fatalf("resolve: %d", code)
	}
	testwait.For(t, "the registered payment succeeded", func() bool { return get()["state"] == "succeeded" })
}
