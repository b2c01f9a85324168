package cli

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/paysync/paysync/sandbox"
)

// startBodyFor is a start request of the shop's for ref.
func startBodyFor(ref string) map[string]any {
	return map[string]any{"provider": "payunit", "start": true, "reference": ref, "amount": "2500", "currency": "XAF"}
}

// problem is the part of a problem+json answer these tests read.
type problem struct {
	Status     int    `json:"status"`
	Detail     string `json:"detail"`
	CheckoutID string `json:"checkout_id"`
}

// PayUnit's answer to initialize is lost after it created the payment:
// paysync answers 502 and keeps the checkout pending; the same request
// again gets the sandbox's same payment, and its pay_url.
func TestStartAnswerLostThenRepeated(t *testing.T) {
	t.Parallel()
	a := startApp(t, "--poll-grace", "1h")
	a.payunit.SetInitializeFaults(sandbox.Faults{MalformedRate: 1})
	resp, body := a.do("POST", "/v1/checkouts", a.apiKey, startBodyFor("order77"))
	var p problem
	json.Unmarshal(body, &p)
	if resp.StatusCode != http.StatusBadGateway || p.CheckoutID == "" {
		t.Fatalf("start with the answer lost: %d %s", resp.StatusCode, body)
	}
	if c := a.checkout(p.CheckoutID); c.State != "pending" || c.Anomaly != nil {
		t.Fatalf("after a lost answer the checkout is %+v, want pending without anomaly", c)
	}

	a.payunit.SetInitializeFaults(sandbox.Faults{})
	resp, body = a.do("POST", "/v1/checkouts", a.apiKey, startBodyFor("order77"))
	var c started
	json.Unmarshal(body, &c)
	if resp.StatusCode != http.StatusOK || c.ID != p.CheckoutID || !strings.HasPrefix(c.PayURL, a.puURL+"/sandbox/payments/PU_payment_") {
		t.Fatalf("the same start again: %d %s", resp.StatusCode, body)
	}
	inits := a.payunit.Initializations()
	if len(inits) != 2 || inits[0] != inits[1] {
		t.Fatalf("PayUnit saw %+v, want the same initialize twice", inits)
	}
	// Once started, a repeat no longer asks PayUnit.
	resp, body = a.do("POST", "/v1/checkouts", a.apiKey, startBodyFor("order77"))
	if resp.StatusCode != http.StatusOK || a.payunit.InitializeCalls() != 2 {
		t.Fatalf("a third time: %d %s, %d initialize calls", resp.StatusCode, body, a.payunit.InitializeCalls())
	}
	if n := a.events(c.ID)["payment_started"]; n != 2 {
		t.Fatalf("%d payment_started events, want 2 (no answer, then started)", n)
	}
}

// PayUnit refuses the start (the merchant's credentials are wrong): 502
// with PayUnit's message, and the checkout is failed with start_refused.
func TestStartRefusedBySandbox(t *testing.T) {
	t.Parallel()
	a := startApp(t, "--poll-grace", "1h")
	resp, body := a.do("POST", "/admin/v1/merchants", a.admin, map[string]any{
		"name":    "wrong keys",
		"payunit": map[string]string{"base_url": a.puURL, "api_user": "u", "api_password": "not-p", "api_key": "k", "mode": "test"},
	})
	if resp.StatusCode != 201 {
		t.Fatalf("create merchant: %d %s", resp.StatusCode, body)
	}
	var m struct {
		APIKey string `json:"api_key"`
	}
	json.Unmarshal(body, &m)
	resp, body = a.do("POST", "/v1/checkouts", m.APIKey, startBodyFor("order78"))
	var p problem
	json.Unmarshal(body, &p)
	if resp.StatusCode != http.StatusBadGateway || !strings.Contains(p.Detail, "Unauthorized: invalid API credentials") || p.CheckoutID == "" {
		t.Fatalf("start with wrong credentials: %d %s", resp.StatusCode, body)
	}
	resp, body = a.do("GET", "/v1/checkouts/"+p.CheckoutID, m.APIKey, nil)
	var c checkoutJSON
	json.Unmarshal(body, &c)
	if c.State != "failed" || c.Anomaly == nil || c.Anomaly.Code != "start_refused" {
		t.Fatalf("refused start left %d %s", resp.StatusCode, body)
	}
	if n := len(a.payunit.Initializations()); n != 0 {
		t.Fatalf("%d payments started at the sandbox", n)
	}
}
