package handlers

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

func TestHealth(t *testing.T) {
	h := setup(t)
	rec := h.request(http.MethodGet, "/healthz", "", nil)
	wantStatus(t, rec, http.StatusOK)
	if decode(t, rec)["status"] != "ok" {
		t.Fatalf("healthz %s", rec.Body)
	}
	rec = h.request(http.MethodGet, "/readyz", "", nil)
	wantStatus(t, rec, http.StatusOK)
	if decode(t, rec)["status"] != "ready" {
		t.Fatalf("readyz %s", rec.Body)
	}
	h.db.Close()
	wantProblem(t, h.request(http.MethodGet, "/readyz", "", nil), http.StatusServiceUnavailable, "not-ready")
}

func TestOpenAPI(t *testing.T) {
	h := setup(t)
	rec := h.request(http.MethodGet, "/openapi.yaml", "", nil)
	wantStatus(t, rec, http.StatusOK)
	if ct := rec.Header().Get("Content-Type"); ct != "application/yaml" {
		t.Fatalf("content type %q", ct)
	}
	doc := rec.Body.String()
	if !strings.HasPrefix(doc, "openapi: 3.1") {
		t.Fatalf("document starts %q", doc[:min(len(doc), 40)])
	}
	if strings.Contains(doc, "\t") {
		t.Fatal("YAML must not contain tabs")
	}
	for _, want := range []string{"/admin/v1/merchants:", "/admin/v1/merchants/{id}:", "/v1/checkouts:", "/v1/checkouts/{id}:",
		"/v1/checkouts/{id}/events:", "/v1/checkouts/{id}/stream:", "/v1/checkouts/{id}/refresh:", "/hooks/payunit/{token}:", "/healthz:", "/readyz:",
		"/openapi.yaml:", "  Merchant:", "  Checkout:", "  Event:", "  Problem:", "  WebhookEvent:", "checkoutEvent:"} {
		if !strings.Contains(doc, "\n  "+want) {
			t.Errorf("openapi.yaml lacks %q", want)
		}
	}
}

func TestRouterErrorsAreProblems(t *testing.T) {
	h := setup(t)
	wantProblem(t, h.request(http.MethodGet, "/nowhere", "", nil), http.StatusNotFound, "not-found")
	wantProblem(t, h.request(http.MethodDelete, "/healthz", "", nil), http.StatusMethodNotAllowed, "method-not-allowed")
	wantProblem(t, h.request(http.MethodGet, "/hooks/payunit/x", "", nil), http.StatusMethodNotAllowed, "method-not-allowed")
}

func TestNewRequiresStoreAndPublicURL(t *testing.T) {
	h := setup(t)
	for name, cfg := range map[string]Config{
		"no store":        {PublicURL: "http://x"},
		"no public url":   {Store: h.db},
		"relative public": {Store: h.db, PublicURL: "/x"},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("%s: New succeeded", name)
		}
	}
}

func TestRequestLog(t *testing.T) {
	h := setup(t)
	m, key := h.merchant()
	h.request(http.MethodGet, "/v1/checkouts?reference=secret-ref", key, nil, "X-Request-Id", "req-123")
	h.request(http.MethodPost, hookPath(m), "", `{"transaction_id":"x"}`)
	logs := h.logs.String()
	if strings.Contains(logs, key) || strings.Contains(logs, "secret-ref") || strings.Contains(logs, hookPath(m)) {
		t.Fatalf("log leaks a credential or query: %s", logs)
	}
	var line map[string]any
	for _, l := range strings.Split(strings.TrimSpace(logs), "\n") {
		if strings.Contains(l, "req-123") {
			if err := json.Unmarshal([]byte(l), &line); err != nil {
				t.Fatal(err)
			}
		}
	}
	if line["msg"] != "request" || line["method"] != "GET" || line["path"] != "/v1/checkouts" ||
		line["status"] != float64(200) || line["level"] != slog.LevelInfo.String() || line["bytes"] == nil || line["latency_ms"] == nil {
		t.Fatalf("log line %v in %s", line, logs)
	}
	if !strings.Contains(logs, `"path":"/hooks/payunit/:token"`) {
		t.Fatalf("hook path not redacted: %s", logs)
	}
	// The console's one-time sign-in link (mounted on the same Echo) is a
	// credential too: its route pattern is logged, never the token.
	h.e.GET("/console/signin/:token", func(c echo.Context) error { return c.NoContent(http.StatusSeeOther) })
	h.request(http.MethodGet, "/console/signin/one-time-secret", "", nil)
	if logs := h.logs.String(); strings.Contains(logs, "one-time-secret") || !strings.Contains(logs, `"path":"/console/signin/:token"`) {
		t.Fatalf("sign-in token not redacted: %s", logs)
	}
}

// Every browser asks for /favicon.ico: it is paysync's SVG icon, not a 404
// (a console error on every page).
func TestFavicon(t *testing.T) {
	h := setup(t)
	rec := h.request(http.MethodGet, "/favicon.ico", "", nil)
	wantStatus(t, rec, http.StatusOK)
	if ct := rec.Header().Get("Content-Type"); ct != "image/svg+xml" || !strings.HasPrefix(rec.Body.String(), "<svg") {
		t.Fatalf("favicon: %s %q", ct, rec.Body.String())
	}
}
