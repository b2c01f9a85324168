package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/paysync/paysync/apiview"
)

func TestRegisterCheckout(t *testing.T) {
	h := setup(t)
	_, key := h.merchant("shop.example")

	rec := h.checkout(key, "Pu-CK-1", "10.00")
	wantStatus(t, rec, http.StatusCreated)
	c := decode(t, rec)
	id := c["id"].(string)
	if c["amount"] != "10" || c["currency"] != "XAF" || c["state"] != "pending" || c["terminal"] != false ||
		c["provider_ref"] != nil || c["action"] != nil || c["anomaly"] != nil || c["resolved_by"] != nil ||
		c["provider_status"] != nil || c["success_url"] != nil || c["version"] != float64(1) {
		t.Fatalf("checkout %v", c)
	}
	if want := h.clock.Now().Add(60 * time.Second).Format(apiview.TimeLayout); c["next_check_at"] != want {
		t.Fatalf("next_check_at %v, want %s (now + poll grace)", c["next_check_at"], want)
	}
	if !strings.HasPrefix(c["return_url"].(string), "http://paysync.test/pay/") || !strings.HasSuffix(c["return_url"].(string), "/return") {
		t.Fatalf("return_url %v", c["return_url"])
	}
	for _, hidden := range []string{"token", "merchant_id", "attempts", "wake_reason", "wake_seq", "idempotency_key"} {
		if _, ok := c[hidden]; ok {
			t.Fatalf("checkout exposes %s: %v", hidden, c)
		}
	}
	if h.waker.count() != 1 {
		t.Fatalf("woken %d times for a new checkout, want 1 (the schedule changed)", h.waker.count())
	}

	t.Run("same again as a JSON number", func(t *testing.T) {
		rec := h.request(http.MethodPost, "/v1/checkouts", key, `{"provider":"payunit","reference":"Pu-CK-1","amount":10,"currency":"XAF"}`)
		wantStatus(t, rec, http.StatusOK)
		if got := decode(t, rec); got["id"] != id {
			t.Fatalf("id %v, want %s", got["id"], id)
		}
		if h.waker.count() != 1 {
			t.Fatalf("woken %d times, want no wake for an existing checkout", h.waker.count())
		}
	})
	t.Run("different amount", func(t *testing.T) {
		rec := h.checkout(key, "Pu-CK-1", "11")
		p := wantProblem(t, rec, http.StatusConflict, "conflict")
		if !strings.Contains(p["detail"].(string), "amount") {
			t.Fatalf("detail %v", p["detail"])
		}
	})
	t.Run("idempotency key", func(t *testing.T) {
		first := h.request(http.MethodPost, "/v1/checkouts", key, map[string]any{"provider": "payunit", "reference": "Pu-CK-2",
			"amount": "5", "currency": "XAF"}, "Idempotency-Key", "idem-1")
		wantStatus(t, first, http.StatusCreated)
		again := h.request(http.MethodPost, "/v1/checkouts", key, map[string]any{"provider": "payunit", "reference": "Pu-CK-2",
			"amount": 5, "currency": "xaf"}, "Idempotency-Key", "idem-1")
		wantStatus(t, again, http.StatusOK)
		long := h.request(http.MethodPost, "/v1/checkouts", key, map[string]any{"provider": "payunit", "reference": "Pu-CK-3",
			"amount": 5, "currency": "XAF"}, "Idempotency-Key", strings.Repeat("k", 256))
		if errs := fieldErrors(t, long); errs["Idempotency-Key"] == "" {
			t.Fatalf("errors %v", errs)
		}
	})
}

func TestRegisterCheckoutValidation(t *testing.T) {
	h := setup(t)
	_, key := h.merchant("shop.example")
	tests := []struct {
		name  string
		body  string
		field string
	}{
		{"empty", `{}`, "provider"},
		{"no reference", `{"provider":"payunit","amount":"10","currency":"XAF"}`, "reference"},
		{"bad currency", `{"provider":"payunit","reference":"r","amount":"10","currency":"XXQ"}`, "currency"},
		{"unknown provider", `{"provider":"stripe","reference":"r","amount":"10","currency":"XAF"}`, "provider"},
		{"azotte without provider_ref", `{"provider":"azotte","reference":"r","amount":"10","currency":"XAF"}`, "provider_ref"},
		{"negative amount", `{"provider":"payunit","reference":"r","amount":-1,"currency":"XAF"}`, "amount"},
		{"exponent", `{"provider":"payunit","reference":"r","amount":1e3,"currency":"XAF"}`, "amount"},
		{"zero", `{"provider":"payunit","reference":"r","amount":"0.00","currency":"XAF"}`, "amount"},
		{"amount bool", `{"provider":"payunit","reference":"r","amount":true,"currency":"XAF"}`, "amount"},
		{"reference type", `{"provider":"payunit","reference":5,"amount":"1","currency":"XAF"}`, "reference"},
		{"long reference", `{"provider":"payunit","reference":"` + strings.Repeat("r", 129) + `","amount":"1","currency":"XAF"}`, "reference"},
		{"control char", `{"provider":"payunit","reference":"a\u0007b","amount":"1","currency":"XAF"}`, "reference"},
		{"relative url", `{"provider":"payunit","reference":"r","amount":"1","currency":"XAF","success_url":"/ok"}`, "success_url"},
		{"foreign host", `{"provider":"payunit","reference":"r","amount":"1","currency":"XAF","success_url":"https://evil.example/ok"}`, "success_url"},
		{"foreign cancel host", `{"provider":"payunit","reference":"r","amount":"1","currency":"XAF","cancel_url":"https://evil.example/no"}`, "cancel_url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := h.request(http.MethodPost, "/v1/checkouts", key, tt.body)
			if errs := fieldErrors(t, rec); errs[tt.field] == "" {
				t.Fatalf("no error for %s in %v", tt.field, errs)
			}
		})
	}
	rec := h.request(http.MethodPost, "/v1/checkouts", key, `{"provider":"azotte","provider_ref":"t","amount":"10","currency":"XAF"}`)
	if msg := fieldErrors(t, rec)["provider"]; msg != "the merchant has no azotte account configured" {
		t.Fatalf("azotte message %q", msg)
	}
	ok := h.request(http.MethodPost, "/v1/checkouts", key, `{"provider":"payunit","reference":"r","amount":"1","currency":"XAF",
		"success_url":"https://SHOP.example/ok","cancel_url":"https://shop.example/cancel"}`)
	wantStatus(t, ok, http.StatusCreated)
	if c := decode(t, ok); c["success_url"] != "https://SHOP.example/ok" {
		t.Fatalf("success_url %v", c["success_url"])
	}
}

func TestRegisterCheckoutWithoutPayUnitAccount(t *testing.T) {
	h := setup(t)
	rec := h.request(http.MethodPost, "/admin/v1/merchants", testAdminToken, map[string]any{"name": "no-pu"})
	wantStatus(t, rec, http.StatusCreated)
	key := decode(t, rec)["api_key"].(string)
	if errs := fieldErrors(t, h.checkout(key, "r", "1")); errs["provider"] == "" {
		t.Fatalf("errors %v", errs)
	}
}

func TestMalformedRequests(t *testing.T) {
	h := setup(t)
	_, key := h.merchant()
	for name, body := range map[string]string{"syntax": `{"provider":`, "empty": ``, "array": `[1]`, "two objects": `{} {}`} {
		t.Run(name, func(t *testing.T) {
			rec := h.request(http.MethodPost, "/v1/checkouts", key, body)
			wantProblem(t, rec, http.StatusBadRequest, "malformed-request")
		})
	}
	rec := h.request(http.MethodPost, "/v1/checkouts", key, nil, "Content-Type", "text/plain")
	wantProblem(t, rec, http.StatusUnsupportedMediaType, "unsupported-media-type")
}

func TestMerchantAuth(t *testing.T) {
	h := setup(t)
	for _, key := range []string{"", "psk_wrong"} {
		rec := h.request(http.MethodGet, "/v1/checkouts", key, nil)
		wantProblem(t, rec, http.StatusUnauthorized, "unauthorized")
		if rec.Header().Get("WWW-Authenticate") != "Bearer" {
			t.Fatalf("WWW-Authenticate %q", rec.Header().Get("WWW-Authenticate"))
		}
	}
}

func TestOtherMerchantsCheckoutIsNotFound(t *testing.T) {
	h := setup(t)
	_, keyA := h.merchant()
	_, keyB := h.merchant()
	id := decode(t, h.checkout(keyA, "Pu-A", "10"))["id"].(string)

	unknown := h.request(http.MethodGet, "/v1/checkouts/chk_unknown", keyB, nil)
	wantProblem(t, unknown, http.StatusNotFound, "not-found")
	for _, path := range []string{"/v1/checkouts/" + id, "/v1/checkouts/" + id + "/events"} {
		rec := h.request(http.MethodGet, path, keyB, nil)
		wantProblem(t, rec, http.StatusNotFound, "not-found")
		if rec.Body.String() != unknown.Body.String() {
			t.Fatalf("%s: %s differs from unknown id's %s", path, rec.Body, unknown.Body)
		}
	}
	woken := h.waker.count()
	rec := h.request(http.MethodPost, "/v1/checkouts/"+id+"/refresh", keyB, nil)
	wantProblem(t, rec, http.StatusNotFound, "not-found")
	if h.waker.count() != woken {
		t.Fatal("woken for another merchant's checkout")
	}
	if rec := h.request(http.MethodGet, "/v1/checkouts?reference=Pu-A", keyB, nil); len(decode(t, rec)["data"].([]any)) != 0 {
		t.Fatalf("list shows another merchant's checkout: %s", rec.Body)
	}
	// Registering the same reference under B is B's own checkout.
	wantStatus(t, h.checkout(keyB, "Pu-A", "99"), http.StatusCreated)
}

func TestGetCheckoutRetryAfterAndETag(t *testing.T) {
	h := setup(t)
	_, key := h.merchant()
	id := decode(t, h.checkout(key, "Pu-1", "10"))["id"].(string)
	h.clock.Add(10*time.Second + 500*time.Millisecond)

	rec := h.request(http.MethodGet, "/v1/checkouts/"+id, key, nil)
	wantStatus(t, rec, http.StatusOK)
	if ra := rec.Header().Get("Retry-After"); ra != "50" {
		t.Fatalf("Retry-After %q, want 50 (next check in 49.5s, rounded up)", ra)
	}
	etag := rec.Header().Get("ETag")
	if len(etag) != 34 || etag[0] != '"' {
		t.Fatalf("ETag %q", etag)
	}
	again := h.request(http.MethodGet, "/v1/checkouts/"+id, key, nil)
	if again.Header().Get("ETag") != etag {
		t.Fatalf("ETag changed without a change: %q vs %q", again.Header().Get("ETag"), etag)
	}
	notModified := h.request(http.MethodGet, "/v1/checkouts/"+id, key, nil, "If-None-Match", `"other", `+etag)
	wantStatus(t, notModified, http.StatusNotModified)
	if notModified.Body.Len() != 0 || notModified.Header().Get("ETag") != etag {
		t.Fatalf("304 body %q etag %q", notModified.Body, notModified.Header().Get("ETag"))
	}

	h.clock.Add(2 * time.Minute) // overdue: at least 1
	rec = h.request(http.MethodGet, "/v1/checkouts/"+id, key, nil)
	if ra := rec.Header().Get("Retry-After"); ra != "1" {
		t.Fatalf("overdue Retry-After %q, want 1", ra)
	}
}

func TestRetryAfterWithoutSchedule(t *testing.T) {
	s := &server{cfg: Config{PollMinInterval: 7 * time.Second, Now: time.Now}}
	if got := s.retryAfter(nil); got != 7 {
		t.Fatalf("retryAfter %d, want 7", got)
	}
}

func TestListCheckoutsPagination(t *testing.T) {
	h := setup(t)
	_, key := h.merchant()
	var ids []string
	for _, ref := range []string{"a", "b", "c"} {
		ids = append(ids, decode(t, h.checkout(key, ref, "1"))["id"].(string))
		h.clock.Add(time.Second)
	}
	rec := h.request(http.MethodGet, "/v1/checkouts?limit=2", key, nil)
	wantStatus(t, rec, http.StatusOK)
	page := decode(t, rec)
	data := page["data"].([]any)
	cursor, _ := page["next_cursor"].(string)
	if len(data) != 2 || data[0].(map[string]any)["id"] != ids[2] || data[1].(map[string]any)["id"] != ids[1] || cursor == "" {
		t.Fatalf("first page %s", rec.Body)
	}
	rec = h.request(http.MethodGet, "/v1/checkouts?limit=2&cursor="+url.QueryEscape(cursor), key, nil)
	page = decode(t, rec)
	data = page["data"].([]any)
	if len(data) != 1 || data[0].(map[string]any)["id"] != ids[0] || page["next_cursor"] != nil {
		t.Fatalf("second page %s", rec.Body)
	}

	byRef := decode(t, h.request(http.MethodGet, "/v1/checkouts?reference=b&state=pending", key, nil))["data"].([]any)
	if len(byRef) != 1 || byRef[0].(map[string]any)["id"] != ids[1] {
		t.Fatalf("by reference: %v", byRef)
	}
	none := decode(t, h.request(http.MethodGet, "/v1/checkouts?state=succeeded", key, nil))
	if d, ok := none["data"].([]any); !ok || len(d) != 0 {
		t.Fatalf("empty list %v", none)
	}

	errs := fieldErrors(t, h.request(http.MethodGet, "/v1/checkouts?state=done&limit=0", key, nil))
	if errs["state"] == "" || errs["limit"] == "" {
		t.Fatalf("errors %v", errs)
	}
	fieldErrors(t, h.request(http.MethodGet, "/v1/checkouts?limit=abc", key, nil))
	wantProblem(t, h.request(http.MethodGet, "/v1/checkouts?cursor=%21%21", key, nil), http.StatusUnprocessableEntity, "validation-failed")
}

func TestEventsAndRefresh(t *testing.T) {
	h := setup(t)
	_, key := h.merchant()
	id := decode(t, h.checkout(key, "Pu-1", "10"))["id"].(string)
	h.clock.Add(time.Second)

	woken := h.waker.count()
	rec := h.request(http.MethodPost, "/v1/checkouts/"+id+"/refresh", key, nil)
	wantStatus(t, rec, http.StatusAccepted)
	if h.waker.count()-woken != 1 {
		t.Fatalf("waker called %d times, want 1", h.waker.count()-woken)
	}
	if c := decode(t, rec); c["next_check_at"] != h.clock.Now().Format(apiview.TimeLayout) {
		t.Fatalf("next_check_at %v, want now", c["next_check_at"])
	}

	rec = h.request(http.MethodGet, "/v1/checkouts/"+id+"/events", key, nil)
	wantStatus(t, rec, http.StatusOK)
	events := decode(t, rec)["data"].([]any)
	if len(events) != 2 {
		t.Fatalf("events %s", rec.Body)
	}
	first, second := events[0].(map[string]any), events[1].(map[string]any)
	if first["type"] != "registered" || first["source"] != "merchant" || first["provider_status"] != nil || first["detail"] != nil {
		t.Fatalf("first event %v", first)
	}
	if second["type"] != "refresh_requested" || second["at"] != h.clock.Now().Format(apiview.TimeLayout) {
		t.Fatalf("second event %v", second)
	}
	for _, k := range []string{"id", "at", "source", "type", "provider_status", "from_state", "to_state", "detail"} {
		if _, ok := first[k]; !ok {
			t.Fatalf("event lacks %s: %v", k, first)
		}
	}
}
