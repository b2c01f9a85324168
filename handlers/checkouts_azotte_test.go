package handlers

import (
	"net/http"
	"testing"

	"github.com/paysync/paysync/apiview"
)

// azotteMerchant creates a merchant with only an Azotte account and
// returns its API key.
func (h *harness) azotteMerchant() string {
	h.t.Helper()
	rec := h.request(http.MethodPost, "/admin/v1/merchants", testAdminToken, map[string]any{
		"name": "azotte shop", "return_hosts": []string{"shop.example"},
		"azotte": map[string]any{"base_url": "https://acme.sandbox.azotte.com/api/v1", "tenant_id": "tn", "api_key": "sk_dev"},
	})
	wantStatus(h.t, rec, http.StatusCreated)
	return decode(h.t, rec)["api_key"].(string)
}

func TestRegisterAzotteCheckout(t *testing.T) {
	h := setup(t)
	key := h.azotteMerchant()
	body := map[string]any{"provider": "azotte", "provider_ref": "trk_01HZ9XPZ3K2A8E0VBVQH7N9XGB", "amount": "2500", "currency": "XAF",
		"success_url": "https://shop.example/ok"}
	rec := h.request(http.MethodPost, "/v1/checkouts", key, body)
	wantStatus(t, rec, http.StatusCreated)
	c := decode(t, rec)
	if c["provider"] != "azotte" || c["provider_ref"] != "trk_01HZ9XPZ3K2A8E0VBVQH7N9XGB" || c["reference"] != nil || c["state"] != "pending" {
		t.Fatalf("checkout %v", c)
	}
	// Azotte sends no callbacks: the first check is at once, not after the grace.
	if want := h.clock.Now().Format(apiview.TimeLayout); c["next_check_at"] != want {
		t.Fatalf("next_check_at %v, want %s", c["next_check_at"], want)
	}
	if h.waker.count() != 1 {
		t.Fatalf("woken %d times", h.waker.count())
	}
	again := h.request(http.MethodPost, "/v1/checkouts", key, body)
	wantStatus(t, again, http.StatusOK)
	if decode(t, again)["id"] != c["id"] {
		t.Fatal("same tracking number registered twice")
	}
	body["amount"] = "2600"
	wantProblem(t, h.request(http.MethodPost, "/v1/checkouts", key, body), http.StatusConflict, "conflict")

	missing := h.request(http.MethodPost, "/v1/checkouts", key, `{"provider":"azotte","amount":"1","currency":"XAF"}`)
	if msg := fieldErrors(t, missing)["provider_ref"]; msg != "is required for this provider" {
		t.Fatalf("provider_ref message %q", msg)
	}
	// This merchant has no PayUnit account.
	if msg := fieldErrors(t, h.checkout(key, "Pu-1", "10"))["provider"]; msg != "the merchant has no payunit account configured" {
		t.Fatalf("payunit message %q", msg)
	}
}
