package cli

// Browser tests of the Azotte 3-D Secure flow: the buyer's headless
// Chromium goes from paysync's /pay/{token}/3ds to the fake Azotte's
// challenge page, approves or declines, comes back to return_url and ends
// on the shop's page (or paysync's result page).

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/paysync/paysync/sandbox"
)

// azotteShop is a shop merchant with an Azotte account on a fake Azotte.
type azotteShop struct {
	a   *app
	az  *sandbox.Azotte
	key string
}

// newAzotteShop starts a fake Azotte and creates a merchant whose
// return_hosts hold the shop's host.
func newAzotteShop(a *app, s *shop) azotteShop {
	a.t.Helper()
	az := sandbox.NewAzotte(sandbox.AzotteOptions{TenantID: "tn-shop", APIKey: "sk-shop"})
	srv := httptest.NewServer(az)
	a.t.Cleanup(srv.Close)
	u, _ := url.Parse(s.url)
	resp, body := a.do("POST", "/admin/v1/merchants", a.admin, map[string]any{
		"name": "azotte-shop", "return_hosts": []string{u.Hostname()},
		"azotte": map[string]string{"base_url": srv.URL + "/api/v1", "tenant_id": "tn-shop", "api_key": "sk-shop"},
	})
	if resp.StatusCode != 201 {
		a.t.Fatalf("create merchant: %d %s", resp.StatusCode, body)
	}
	var m struct {
		APIKey string `json:"api_key"`
	}
	json.Unmarshal(body, &m)
	return azotteShop{a: a, az: az, key: m.APIKey}
}

// start creates a 3DS checkout at the fake Azotte, registers it with
// paysync, points the challenge's return at the checkout's return_url and
// waits until paysync has seen the 3DS step.
func (z azotteShop) start(scenario string, postBack bool, successURL, cancelURL string) registered {
	z.a.t.Helper()
	trk := z.az.Create(sandbox.AzotteCheckout{Scenario: scenario, PostBack: postBack, ProcessingChecks: 1})
	body := map[string]any{"provider": "azotte", "provider_ref": trk, "amount": "49.90", "currency": "EUR"}
	if successURL != "" {
		body["success_url"] = successURL
	}
	if cancelURL != "" {
		body["cancel_url"] = cancelURL
	}
	c := z.a.registerWith(z.key, body)
	z.az.SetReturnURL(trk, z.a.local(c.ReturnURL))
	return z.waitState(c, "action_required", 20*time.Second)
}

// waitState long-polls the checkout until it is in state.
func (z azotteShop) waitState(c registered, state string, within time.Duration) registered {
	z.a.t.Helper()
	deadline := time.Now().Add(within)
	for c.State != state {
		if time.Now().After(deadline) {
			z.a.t.Fatalf("checkout %s stayed %s, want %s", c.ID, c.State, state)
		}
		resp, body := z.a.do("GET", fmt.Sprintf("/v1/checkouts/%s?wait=2s&version=%d", c.ID, c.Version), z.key, nil)
		if resp.StatusCode != 200 {
			z.a.t.Fatalf("long-poll: %d %s", resp.StatusCode, body)
		}
		c = registered{}
		json.Unmarshal(body, &c)
	}
	return c
}

func TestBrowser3DSApproveToSuccessURL(t *testing.T) {
	t.Parallel()
	b := newBrowser(t)
	// A long backoff ceiling: while the buyer is in the challenge, the
	// poller waits; only the browser's return can settle the checkout.
	a := startApp(t, "--poll-max-interval", "1h")
	s := startShop(t)
	z := newAzotteShop(a, s)
	c := z.start(sandbox.Azotte3DS, false, s.url+"/thanks?order=3ds", s.url+"/cart")
	if c.Action == nil || !strings.HasSuffix(c.Action.RedirectURL, "/3ds") {
		t.Fatalf("action %+v, want the hosted 3DS page", c.Action)
	}

	b.navigate(a.local(c.Action.RedirectURL))
	b.waitVisible("#approve", 10*time.Second)
	if loc := b.location(); !strings.Contains(loc, "/challenge/") {
		t.Fatalf("3DS page sent the browser to %s, want Azotte's challenge", loc)
	}
	b.screenshot("challenge")
	b.click("#approve")

	u := b.waitURL("the shop's success URL", onPath("/thanks"))
	if u.Query().Get("order") != "3ds" || !strings.HasPrefix(u.String(), s.url) {
		t.Fatalf("landed on %s, want %s/thanks?order=3ds", u, s.url)
	}
	got := a.checkoutWith(z.key, c.ID)
	if got.State != "succeeded" || got.ResolvedBy != "browser_return" {
		t.Fatalf("checkout %s resolved by %q, want succeeded by browser_return", got.State, got.ResolvedBy)
	}
	if n := a.eventsWith(z.key, c.ID)["browser_returned"]; n != 1 {
		t.Fatalf("%d browser returns recorded, want 1", n)
	}
}

func TestBrowser3DSDeclineToCancelURL(t *testing.T) {
	t.Parallel()
	b := newBrowser(t)
	a := startApp(t, "--poll-max-interval", "1h")
	s := startShop(t)
	z := newAzotteShop(a, s)
	// The challenge server POSTs the buyer back, as many do.
	c := z.start(sandbox.Azotte3DS, true, s.url+"/thanks", s.url+"/cart?declined=1")

	b.navigate(a.local(c.Action.RedirectURL))
	b.waitVisible("#decline", 10*time.Second)
	b.click("#decline")

	u := b.waitURL("the shop's cancel URL", onPath("/cart"))
	if u.Query().Get("declined") != "1" {
		t.Fatalf("landed on %s", u)
	}
	if got := a.checkoutWith(z.key, c.ID); got.State != "failed" || got.ResolvedBy != "browser_return" {
		t.Fatalf("checkout %s resolved by %q, want failed by browser_return", got.State, got.ResolvedBy)
	}
}

// The provider's htmlContent (showHtmlContent) runs on its own sandboxed
// page; with no success_url the buyer ends on paysync's result page.
func TestBrowser3DSHTMLContentToResultPage(t *testing.T) {
	t.Parallel()
	b := newBrowser(t)
	a := startApp(t, "--poll-max-interval", "1h")
	s := startShop(t)
	z := newAzotteShop(a, s)
	c := z.start(sandbox.Azotte3DSHTML, false, "", "")

	b.navigate(a.local(c.Action.RedirectURL))
	b.waitVisible("#approve", 10*time.Second) // the provider's form posted itself to the challenge
	b.click("#approve")
	b.waitVisible("#result", 20*time.Second)
	if got := b.text("h1"); got != "Payment confirmed" {
		t.Fatalf("result heading %q", got)
	}
	b.screenshot("3ds-result")
	if got := a.checkoutWith(z.key, c.ID); got.State != "succeeded" {
		t.Fatalf("checkout %s, want succeeded", got.State)
	}
}
