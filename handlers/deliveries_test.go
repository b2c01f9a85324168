package handlers

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/paysync/paysync/store"
)

func TestWebhookURLMustBePublic(t *testing.T) {
	h := setup(t)
	for _, hook := range []string{"http://127.0.0.1/h", "http://[::1]:8080/h", "http://10.0.0.1/h", "http://172.16.5.4/h",
		"http://192.168.0.1/h", "http://169.254.169.254/latest/meta-data", "http://[fc00::1]/h", "http://[fe80::1]/h",
		"http://0.0.0.0/h", "http://localhost:9000/h", "http://api.localhost/h", "http://100.64.0.1/h",
		"http://[::ffff:127.0.0.1]/h", "ftp://shop.example/h"} {
		rec := h.request(http.MethodPost, "/admin/v1/merchants", testAdminToken, map[string]any{"name": "acme", "webhook_url": hook})
		if errs := fieldErrors(t, rec); errs["webhook_url"] == "" {
			t.Fatalf("%s accepted: %v", hook, errs)
		}
	}
	rec := h.request(http.MethodPost, "/admin/v1/merchants", testAdminToken, map[string]any{"name": "acme", "webhook_url": "https://shop.example/h"})
	wantStatus(t, rec, http.StatusCreated)
}

// settleVia registers a checkout through the API and applies a success to
// it as the poller would, so the outbox holds its webhook.
func (h *harness) settleVia(apiKey, ref string) string {
	h.t.Helper()
	rec := h.checkout(apiKey, ref, "10")
	wantStatus(h.t, rec, http.StatusCreated)
	id := decode(h.t, rec)["id"].(string)
	h.clock.Add(2 * time.Minute) // past the poll grace
	claimed, err := h.db.ClaimDue(context.Background(), 10, time.Minute)
	if err != nil || len(claimed) != 1 {
		h.t.Fatalf("claim: %v %v", claimed, err)
	}
	c := claimed[0]
	if _, err := h.db.Apply(context.Background(), store.Observation{CheckoutID: c.ID, Version: c.Version, WakeSeq: c.WakeSeq,
		ClaimSeq: c.ClaimSeq, Checked: true, State: store.StateSucceeded, ProviderStatus: "SUCCESS", Amount: "10", Currency: "XAF"}); err != nil {
		h.t.Fatal(err)
	}
	return id
}

func TestDeliveriesAPI(t *testing.T) {
	wh := &fakeWaker{}
	h := setup(t, func(c *Config) { c.Webhooks = wh })
	rec := h.request(http.MethodPost, "/admin/v1/merchants", testAdminToken, map[string]any{"name": "acme",
		"webhook_url": "https://shop.example/hooks",
		"payunit":     map[string]any{"base_url": "https://gateway.payunit.net", "api_user": "u", "api_password": "p", "api_key": "k", "mode": "test"}})
	wantStatus(t, rec, http.StatusCreated)
	m := decode(t, rec)
	key := m["api_key"].(string)
	_, otherKey := h.merchant()
	id := h.settleVia(key, "order-1")

	rec = h.request(http.MethodGet, "/v1/deliveries?checkout_id="+id, key, nil)
	wantStatus(t, rec, http.StatusOK)
	data := decode(t, rec)["data"].([]any)
	if len(data) != 1 {
		t.Fatalf("deliveries %v", data)
	}
	d := data[0].(map[string]any)
	msgID, _ := d["id"].(string)
	if !strings.HasPrefix(msgID, "msg_") || d["type"] != "checkout.succeeded" || d["status"] != "pending" ||
		d["version"] != float64(2) || d["checkout_id"] != id || len(d["attempts"].([]any)) != 0 || d["payload"] != nil {
		t.Fatalf("delivery %v", d)
	}

	rec = h.request(http.MethodPost, "/v1/deliveries/"+msgID+"/redeliver", key, nil)
	wantStatus(t, rec, http.StatusAccepted)
	if got := decode(t, rec); got["id"] != msgID || got["status"] != "pending" || wh.count() != 1 {
		t.Fatalf("redeliver: %v (wakes %d)", got, wh.count())
	}

	// Another merchant sees neither the checkout's deliveries nor the delivery.
	wantProblem(t, h.request(http.MethodGet, "/v1/deliveries?checkout_id="+id, otherKey, nil), http.StatusNotFound, "not-found")
	wantProblem(t, h.request(http.MethodPost, "/v1/deliveries/"+msgID+"/redeliver", otherKey, nil), http.StatusNotFound, "not-found")
	rec = h.request(http.MethodGet, "/v1/deliveries", otherKey, nil)
	wantStatus(t, rec, http.StatusOK)
	if data := decode(t, rec)["data"].([]any); len(data) != 0 {
		t.Fatalf("other merchant lists %v", data)
	}
	if errs := fieldErrors(t, h.request(http.MethodGet, "/v1/deliveries?limit=0", key, nil)); errs["limit"] == "" {
		t.Fatalf("limit=0: %v", errs)
	}

	// Admin: rotate the secret (shown once) and re-enable the endpoint.
	rec = h.request(http.MethodPost, "/admin/v1/merchants/"+m["id"].(string)+"/webhook-secret/rotate", testAdminToken, nil)
	wantStatus(t, rec, http.StatusOK)
	if got := decode(t, rec); !strings.HasPrefix(got["webhook_secret"].(string), "whsec_") || got["webhook_secret"] == m["webhook_secret"] {
		t.Fatalf("rotate: %v", got)
	}
	wantProblem(t, h.request(http.MethodPost, "/admin/v1/merchants/mer_nope/webhook-secret/rotate", testAdminToken, nil), http.StatusNotFound, "not-found")
	rec = h.request(http.MethodPost, "/admin/v1/merchants/"+m["id"].(string)+"/webhook/enable", testAdminToken, nil)
	wantStatus(t, rec, http.StatusOK)
	wantProblem(t, h.request(http.MethodPost, "/admin/v1/merchants/"+m["id"].(string)+"/webhook/enable", "", nil), http.StatusUnauthorized, "unauthorized")
}
