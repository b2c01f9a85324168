package cli

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/paysync/paysync/internal/testwait"
	"github.com/paysync/paysync/sandbox"
)

// 50 duplicate callbacks for one payment lead to one transition and one
// webhook, signed so the Standard Webhooks reference library verifies it:
// end to end through the real router, poller, outbox and dispatcher.
func TestDuplicateCallbacksOneWebhook(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var got []*http.Request
	var bodies [][]byte
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got, bodies = append(got, r), append(bodies, b)
		mu.Unlock()
	}))
	t.Cleanup(hook.Close)
	a := startApp(t, "--poll-grace", "1h")
	resp, body := a.do("POST", "/admin/v1/merchants", a.admin, map[string]any{
		"name": "hooked", "webhook_url": hook.URL + "/paysync",
		"payunit": map[string]string{"base_url": a.puURL, "api_user": "u", "api_password": "p", "api_key": "k", "mode": "test"},
	})
	if resp.StatusCode != 201 {
		t.Fatalf("create merchant: %d %s", resp.StatusCode, body)
	}
	var m struct {
		APIKey, Secret string
	}
	var raw map[string]any
	json.Unmarshal(body, &raw)
	m.APIKey, m.Secret = raw["api_key"].(string), raw["webhook_secret"].(string)
	a.apiKey, a.notify = m.APIKey, strings.Replace(raw["payunit_notify_url"].(string), "http://paysync.test", "", 1)

	puID := a.payunit.Create(sandbox.Payment{TransactionID: "order-hook", Amount: "10", Currency: "XAF"})
	c := a.register("order-hook", "10")
	if err := a.payunit.SetStatus(puID, sandbox.StatusSuccess); err != nil {
		t.Fatal(err)
	}
	a.payunit.SetFaults(sandbox.Faults{Delay: 50 * time.Millisecond})
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() { a.callback("order-hook", "SUCCESS") })
	}
	wg.Wait()
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(got) }
	testwait.For(t, "the webhook", func() bool { return count() >= 1 })
	// Every later poll or callback finds the checkout terminal: nothing more to announce.
	a.callback("order-hook", "FAILED") // distinct: the 50 identical ones are one row, one event
	testwait.For(t, "the last callback's check", func() bool { return a.events(c.ID)["callback_received"] == 2 })

	resp, body = a.do("GET", "/v1/deliveries?checkout_id="+c.ID, a.apiKey, nil)
	var list struct {
		Data []struct {
			ID, Type, Status string
			Attempts         []struct {
				StatusCode int `json:"status_code"`
			}
		}
	}
	if err := json.Unmarshal(body, &list); err != nil || resp.StatusCode != 200 {
		t.Fatalf("deliveries: %d %s", resp.StatusCode, body)
	}
	testwait.For(t, "the delivery recorded", func() bool {
		_, body = a.do("GET", "/v1/deliveries?checkout_id="+c.ID, a.apiKey, nil)
		json.Unmarshal(body, &list)
		return len(list.Data) == 1 && list.Data[0].Status == "delivered"
	})
	if n := count(); n != 1 || len(list.Data) != 1 || list.Data[0].Type != "checkout.succeeded" || len(list.Data[0].Attempts) != 1 {
		t.Fatalf("50 duplicate callbacks: %d webhooks, deliveries %s", n, body)
	}
	mu.Lock()
	req, b := got[0], bodies[0]
	mu.Unlock()
	if req.Header.Get("webhook-id") != list.Data[0].ID {
		t.Fatalf("webhook-id %q, delivery %q", req.Header.Get("webhook-id"), list.Data[0].ID)
	}
	wh, err := standardwebhooks.NewWebhook(m.Secret)
	if err != nil {
		t.Fatal(err)
	}
	if err := wh.Verify(b, req.Header); err != nil {
		t.Fatalf("signature: %v", err)
	}
	resp, metrics := a.do("GET", "/metrics", "", nil)
	if want := `paysync_webhook_deliveries_total{outcome="delivered"} 1`; !strings.Contains(string(metrics), want) {
		t.Fatalf("/metrics (%d) lacks %s", resp.StatusCode, want)
	}
}
