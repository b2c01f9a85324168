package handlers

import (
	"bytes"
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paysync/paysync/store"
	"github.com/paysync/paysync/store/sqlite/sqlitetest"
)

func TestAdminAuth(t *testing.T) {
	h := setup(t)
	for name, token := range map[string]string{"missing": "", "wrong": "nope"} {
		t.Run(name, func(t *testing.T) {
			rec := h.request(http.MethodPost, "/admin/v1/merchants", token, map[string]any{"name": "x"})
			wantProblem(t, rec, http.StatusUnauthorized, "unauthorized")
			if rec.Header().Get("WWW-Authenticate") != "Bearer" {
				t.Fatalf("WWW-Authenticate %q", rec.Header().Get("WWW-Authenticate"))
			}
		})
	}
	t.Run("admin off", func(t *testing.T) {
		off := setup(t, func(c *Config) { c.AdminToken = "" })
		rec := off.request(http.MethodPost, "/admin/v1/merchants", "", map[string]any{"name": "x"})
		wantProblem(t, rec, http.StatusNotFound, "not-found")
		rec = off.request(http.MethodGet, "/admin/v1/merchants/mer_x", "anything", nil)
		wantProblem(t, rec, http.StatusNotFound, "not-found")
	})
}

func TestCreateAndGetMerchant(t *testing.T) {
	h := setup(t)
	rec := h.request(http.MethodPost, "/admin/v1/merchants", testAdminToken, map[string]any{
		"name": "acme", "webhook_url": "https://shop.example/hooks/paysync", "return_hosts": []string{"Shop.Example"},
		"payunit": map[string]any{"base_url": "https://gateway.payunit.net/", "api_user": "u", "api_password": "p",
			"api_key": "live_xxx", "mode": "live"},
	})
	wantStatus(t, rec, http.StatusCreated)
	m := decode(t, rec)
	id := m["id"].(string)
	if !strings.HasPrefix(m["api_key"].(string), "psk_") || !strings.HasPrefix(m["webhook_secret"].(string), "whsec_") {
		t.Fatalf("secrets missing: %v", m)
	}
	if !strings.HasPrefix(m["payunit_notify_url"].(string), "http://paysync.test/hooks/payunit/") {
		t.Fatalf("payunit_notify_url %v", m["payunit_notify_url"])
	}
	pu := m["payunit"].(map[string]any)
	if len(pu) != 2 || pu["base_url"] != "https://gateway.payunit.net" || pu["mode"] != "live" {
		t.Fatalf("payunit block %v", pu)
	}
	if m["azotte"] != nil || m["return_hosts"].([]any)[0] != "shop.example" {
		t.Fatalf("merchant %v", m)
	}
	if strings.Contains(rec.Body.String(), "live_xxx") {
		t.Fatalf("provider credential in response: %s", rec.Body)
	}

	rec = h.request(http.MethodGet, "/admin/v1/merchants/"+id, testAdminToken, nil)
	wantStatus(t, rec, http.StatusOK)
	got := decode(t, rec)
	if _, ok := got["api_key"]; ok {
		t.Fatalf("api_key in a later read: %v", got)
	}
	if _, ok := got["webhook_secret"]; ok {
		t.Fatalf("webhook_secret in a later read: %v", got)
	}
	if got["id"] != id || got["payunit_notify_url"] != m["payunit_notify_url"] || got["created_at"] != m["created_at"] {
		t.Fatalf("read %v, created %v", got, m)
	}

	rec = h.request(http.MethodGet, "/admin/v1/merchants/mer_unknown", testAdminToken, nil)
	wantProblem(t, rec, http.StatusNotFound, "not-found")
}

func TestMerchantValidation(t *testing.T) {
	h := setup(t)
	rec := h.request(http.MethodPost, "/admin/v1/merchants", testAdminToken, map[string]any{
		"webhook_url": "ftp://shop.example", "return_hosts": []string{"not a host"},
		"payunit": map[string]any{"base_url": "gateway", "mode": "prod"},
		"azotte":  map[string]any{},
	})
	errs := fieldErrors(t, rec)
	for _, f := range []string{"name", "webhook_url", "return_hosts[0]", "payunit.base_url", "payunit.api_user",
		"payunit.api_password", "payunit.api_key", "payunit.mode", "azotte.base_url", "azotte.tenant_id", "azotte.api_key"} {
		if errs[f] == "" {
			t.Errorf("no error for %s in %v", f, errs)
		}
	}
}

func TestPrivateURLsRefusedUnlessAllowed(t *testing.T) {
	body := func(base, hook string) map[string]any {
		return map[string]any{"name": "acme", "webhook_url": hook,
			"payunit": map[string]any{"base_url": base, "api_user": "u", "api_password": "p", "api_key": "k", "mode": "test"},
			"azotte":  map[string]any{"base_url": "http://[::1]:9000/api", "tenant_id": "t", "api_key": "k"}}
	}
	h := setup(t)
	for _, base := range []string{"http://127.0.0.1:8081", "http://localhost", "http://10.1.2.3", "http://169.254.169.254", "http://0.0.0.0"} {
		rec := h.request(http.MethodPost, "/admin/v1/merchants", testAdminToken, body(base, "http://192.168.1.9/hook"))
		errs := fieldErrors(t, rec)
		if errs["payunit.base_url"] == "" || errs["webhook_url"] == "" || errs["azotte.base_url"] == "" {
			t.Fatalf("%s: errors %v", base, errs)
		}
	}
	allowed := setup(t, func(c *Config) { c.AllowPrivateURLs = true })
	rec := allowed.request(http.MethodPost, "/admin/v1/merchants", testAdminToken, body("http://127.0.0.1:8081", "http://localhost/hook"))
	wantStatus(t, rec, http.StatusCreated)
}

func TestCreateMerchantWithoutMasterKey(t *testing.T) {
	db, err := sqlitetest.Open(context.Background(), filepath.Join(t.TempDir(), "t.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	h := setup(t, func(c *Config) { c.Store = db })
	rec := h.request(http.MethodPost, "/admin/v1/merchants", testAdminToken, map[string]any{"name": "acme"})
	p := wantProblem(t, rec, http.StatusServiceUnavailable, "not-configured")
	if !strings.Contains(p["detail"].(string), "master key") {
		t.Fatalf("detail %v", p["detail"])
	}
}

func TestAdminBodyLimit(t *testing.T) {
	h := setup(t)
	big := `{"name": "` + string(bytes.Repeat([]byte("a"), 2<<20)) + `"}`
	rec := h.request(http.MethodPost, "/admin/v1/merchants", testAdminToken, big)
	wantProblem(t, rec, http.StatusRequestEntityTooLarge, "payload-too-large")
}

func TestDecodeMerchant(t *testing.T) {
	in, err := DecodeMerchant([]byte(`{"name":"acme","return_hosts":["Shop.Example"],
		"payunit":{"base_url":"http://127.0.0.1:9/","api_user":"u","api_password":"p","api_key":"k","mode":"test"}}`), true)
	if err != nil {
		t.Fatal(err)
	}
	if in.Name != "acme" || in.ReturnHosts[0] != "shop.example" || in.PayUnit.BaseURL != "http://127.0.0.1:9" || in.PayUnit.APIKey != "k" {
		t.Fatalf("decoded %+v", in)
	}
	_, err = DecodeMerchant([]byte(`{"payunit":{"base_url":"http://127.0.0.1:9","api_user":"u","api_password":"p","api_key":"k","mode":"x"}}`), false)
	for _, want := range []string{"name is required", "payunit.base_url must not point", "payunit.mode must be one of: live, test"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
	if _, err := DecodeMerchant([]byte(`{"name":`), false); err == nil {
		t.Error("malformed JSON accepted")
	}
}
