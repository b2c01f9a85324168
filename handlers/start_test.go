package handlers

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/paysync/paysync/internal/testwait"
	"github.com/paysync/paysync/store"
)

// initializeCall is one request the fake PayUnit received.
type initializeCall struct {
	Method, Path string
	Header       http.Header
	Body         []byte
	// Registered says the checkout its transaction_id names was already
	// in the store when the call came.
	Registered bool
}

// fakePayUnit is PayUnit's initialize call, recording each request and
// answering with answer (set per test).
type fakePayUnit struct {
	t      *testing.T
	h      *harness
	srv    *httptest.Server
	mu     sync.Mutex
	calls  []initializeCall
	answer http.HandlerFunc
	mid    string // the merchant whose account it is
}

// payURLOf is the fake's transaction_url for a transaction id.
func payURLOf(txn string) string { return "https://pay.payunit.test/checkout/" + txn }

// answerStarted answers like PayUnit starting the payment.
func answerStarted(w http.ResponseWriter, r *http.Request, txn string) {
	w.Header().Set("Content-Type", "application/json")
	w.Write([]byte(`{"status":"SUCCESS","statusCode":200,"message":"Transaction has been successfully initiated!",` +
		`"data":{"t_id":"t1","transaction_id":"` + txn + `","transaction_url":"` + payURLOf(txn) + `"}}`))
}

func newFakePayUnit(t *testing.T, h *harness) *fakePayUnit {
	f := &fakePayUnit{t: t, h: h}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var b struct {
			TransactionID string `json:"transaction_id"`
		}
		json.Unmarshal(body, &b)
		list, _, err := h.db.ListCheckouts(context.Background(), f.merchantID(), store.CheckoutFilter{Reference: b.TransactionID})
		f.mu.Lock()
		f.calls = append(f.calls, initializeCall{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body,
			Registered: err == nil && len(list) == 1})
		answer := f.answer
		f.mu.Unlock()
		if answer == nil {
			answerStarted(w, r, b.TransactionID)
			return
		}
		answer(w, r)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakePayUnit) merchantID() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.mid
}

func (f *fakePayUnit) setAnswer(h http.HandlerFunc) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.answer = h
}

func (f *fakePayUnit) recorded() []initializeCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// setupStart is a harness whose merchant's PayUnit account is the fake,
// with a webhook URL; it returns the merchant's JSON and API key.
func setupStart(t *testing.T) (*harness, *fakePayUnit, map[string]any, string) {
	h := setup(t, func(c *Config) { c.AllowPrivateURLs = true })
	f := newFakePayUnit(t, h)
	rec := h.request(http.MethodPost, "/admin/v1/merchants", testAdminToken, map[string]any{
		"name": "acme", "return_hosts": []string{"shop.example"}, "webhook_url": "https://shop.example/hooks",
		"payunit": map[string]any{"base_url": f.srv.URL, "api_user": "pu-user", "api_password": "pu-pass",
			"api_key": "test_pu-key", "mode": "test"},
	})
	wantStatus(t, rec, http.StatusCreated)
	m := decode(t, rec)
	f.mu.Lock()
	f.mid = m["id"].(string)
	f.mu.Unlock()
	return h, f, m, m["api_key"].(string)
}

// startBody is the contract's example of a start (CONTRACT §12).
func startBody() map[string]any {
	return map[string]any{"provider": "payunit", "start": true, "amount": "2500", "currency": "XAF",
		"reference": "order1042", "description": "Order 1042",
		"success_url": "https://shop.example/ok", "cancel_url": "https://shop.example/cancel",
		"payment_country": "CM", "pay_with": "CM_MTNMOMO"}
}

// TestStartCheckout: the checkout is registered first, then PayUnit's
// initialize is called with the merchant's credentials and every field
// of §12, typed as PayUnit takes them; 201 with pay_url, kept on the
// checkout from then on, and the attempt in the checkout's log.
func TestStartCheckout(t *testing.T) {
	h, f, m, key := setupStart(t)
	rec := h.request(http.MethodPost, "/v1/checkouts", key, startBody())
	wantStatus(t, rec, http.StatusCreated)
	c := decode(t, rec)
	if c["pay_url"] != payURLOf("order1042") || c["state"] != "pending" || c["reference"] != "order1042" || c["version"] != float64(2) {
		t.Fatalf("checkout %v", c)
	}
	calls := f.recorded()
	if len(calls) != 1 {
		t.Fatalf("%d initialize calls, want 1", len(calls))
	}
	call := calls[0]
	if !call.Registered {
		t.Error("initialize was called before the checkout was registered")
	}
	if call.Method != http.MethodPost || call.Path != "/api/gateway/initialize" {
		t.Errorf("request %s %s", call.Method, call.Path)
	}
	if got, want := call.Header.Get("Authorization"), "Basic "+base64.StdEncoding.EncodeToString([]byte("pu-user:pu-pass")); got != want {
		t.Errorf("Authorization %q, want %q", got, want)
	}
	if call.Header.Get("x-api-key") != "test_pu-key" || call.Header.Get("mode") != "test" || call.Header.Get("Content-Type") != "application/json" {
		t.Errorf("headers %v", call.Header)
	}
	body := jsonFields(t, call.Body)
	want := map[string]string{
		"total_amount": "2500", "currency": `"XAF"`, "transaction_id": `"order1042"`,
		"notify_url": quote(m["payunit_notify_url"].(string)), "return_url": quote(c["return_url"].(string)),
		"description": `"Order 1042"`, "payment_country": `"CM"`, "pay_with": `"CM_MTNMOMO"`,
	}
	if !mapsEqual(body, want) {
		t.Errorf("initialize body %s\nwant fields %v", call.Body, want)
	}

	got := decode(t, h.request(http.MethodGet, "/v1/checkouts/"+c["id"].(string), key, nil))
	if got["pay_url"] != payURLOf("order1042") {
		t.Errorf("GET pay_url %v", got["pay_url"])
	}
	ev := lastEvent(t, h, key, c["id"].(string))
	if ev["type"] != store.EventPaymentStarted || ev["source"] != "paysync" ||
		ev["detail"] != "payment started at PayUnit: started (HTTP 200)" {
		t.Errorf("last event %v", ev)
	}
	plain := decode(t, h.checkout(key, "plain1", "10"))
	if v, ok := plain["pay_url"]; !ok || v != nil {
		t.Errorf("a checkout only registered: pay_url %v (present %v), want null", v, ok)
	}
}

// TestStartOptionalFieldsLeftOut: description, payment_country and
// pay_with are sent only when given; an amount with a fraction is a JSON
// number.
func TestStartOptionalFieldsLeftOut(t *testing.T) {
	h, f, _, key := setupStart(t)
	rec := h.request(http.MethodPost, "/v1/checkouts", key, map[string]any{"provider": "payunit", "start": true,
		"amount": "10.50", "currency": "EUR", "reference": "r1"})
	wantStatus(t, rec, http.StatusCreated)
	body := jsonFields(t, f.recorded()[0].Body)
	keys := make([]string, 0, len(body))
	for k := range body {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if !slices.Equal(keys, []string{"currency", "notify_url", "return_url", "total_amount", "transaction_id"}) || body["total_amount"] != "10.5" {
		t.Errorf("initialize body %s", f.recorded()[0].Body)
	}
}

// TestStartReference: without a reference one is generated, letters and
// digits only, sent as transaction_id; with an Idempotency-Key the repeat
// names the same checkout. A given reference with any other character
// is 422 with start (nothing registered, PayUnit not called), and fine
// without.
func TestStartReference(t *testing.T) {
	h, f, _, key := setupStart(t)
	body := startBody()
	delete(body, "reference")
	rec := h.request(http.MethodPost, "/v1/checkouts", key, body, "Idempotency-Key", "order-1043")
	wantStatus(t, rec, http.StatusCreated)
	c := decode(t, rec)
	ref, _ := c["reference"].(string)
	if !regexp.MustCompile(`^[A-Za-z0-9]+$`).MatchString(ref) || jsonFields(t, f.recorded()[0].Body)["transaction_id"] != quote(ref) {
		t.Fatalf("generated reference %q, sent %s", ref, f.recorded()[0].Body)
	}
	again := h.request(http.MethodPost, "/v1/checkouts", key, body, "Idempotency-Key", "order-1043")
	wantStatus(t, again, http.StatusOK)
	if a := decode(t, again); a["id"] != c["id"] || a["pay_url"] != c["pay_url"] || len(f.recorded()) != 1 {
		t.Fatalf("repeat %v after %d calls", a, len(f.recorded()))
	}
	other := decode(t, h.request(http.MethodPost, "/v1/checkouts", key, body))
	if other["reference"] == ref || !regexp.MustCompile(`^[A-Za-z0-9]+$`).MatchString(other["reference"].(string)) {
		t.Fatalf("a start without key nor reference: reference %v", other["reference"])
	}

	for _, bad := range []string{"order-1042", "order 1042", "ordre_é", "Pu-CK-1688997260698"} {
		body := startBody()
		body["reference"] = bad
		calls := len(f.recorded())
		if errs := fieldErrors(t, h.request(http.MethodPost, "/v1/checkouts", key, body)); errs["reference"] == "" {
			t.Errorf("reference %q: errors %v", bad, errs)
		}
		if len(f.recorded()) != calls {
			t.Errorf("reference %q: PayUnit called", bad)
		}
		list, _, _ := h.db.ListCheckouts(context.Background(), f.merchantID(), store.CheckoutFilter{Reference: bad})
		if len(list) != 0 {
			t.Errorf("reference %q: registered", bad)
		}
	}
	wantStatus(t, h.checkout(key, "Pu-CK-1688997260698", "10"), http.StatusCreated) // without start, as before
}

// TestStartRepeat: the same request again (same reference and fields,
// or same Idempotency-Key) is 200 with the same checkout and pay_url,
// without a second call; a repeat differing in start is 409.
func TestStartRepeat(t *testing.T) {
	h, f, _, key := setupStart(t)
	first := decode(t, h.request(http.MethodPost, "/v1/checkouts", key, startBody(), "Idempotency-Key", "k1"))
	for name, rec := range map[string]*httptest.ResponseRecorder{
		"same reference and fields": h.request(http.MethodPost, "/v1/checkouts", key, startBody()),
		"same Idempotency-Key":      h.request(http.MethodPost, "/v1/checkouts", key, startBody(), "Idempotency-Key", "k1"),
	} {
		wantStatus(t, rec, http.StatusOK)
		if got := decode(t, rec); got["id"] != first["id"] || got["pay_url"] != first["pay_url"] || got["pay_url"] == nil {
			t.Errorf("%s: %v, want %v", name, got, first)
		}
	}
	if n := len(f.recorded()); n != 1 {
		t.Fatalf("%d initialize calls, want 1", n)
	}
	plain := startBody()
	delete(plain, "start")
	wantProblem(t, h.request(http.MethodPost, "/v1/checkouts", key, plain), http.StatusConflict, "conflict")
	wantStatus(t, h.checkout(key, "registered1", "2500"), http.StatusCreated)
	started := startBody()
	started["reference"] = "registered1"
	delete(started, "success_url")
	delete(started, "cancel_url")
	started["currency"] = "xaf"
	wantProblem(t, h.request(http.MethodPost, "/v1/checkouts", key, started), http.StatusConflict, "conflict")
	if n := len(f.recorded()); n != 1 {
		t.Fatalf("%d initialize calls, want 1", n)
	}
}

// TestStartRefused: PayUnit refusing (a 4xx, or a body whose statusCode
// is not 200) is 502 with its message in detail; the checkout is failed
// with start_refused, its webhooks in the outbox, and a repeat doesn't
// call PayUnit again.
func TestStartRefused(t *testing.T) {
	for _, tt := range []struct {
		name, message string
		answer        http.HandlerFunc
	}{
		{"400", "Invalid pay_with", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"status":"FAILED","statusCode":400,"message":"Invalid pay_with"}`))
		}},
		{"200 with statusCode 409", "Invalid pay_with", func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(`{"status":"FAILED","statusCode":409,"message":"Invalid pay_with"}`))
		}},
		{"401 without a message", "PayUnit refused the payment (HTTP 401, credentials rejected)", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusUnauthorized)
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h, f, _, key := setupStart(t)
			f.setAnswer(tt.answer)
			rec := h.request(http.MethodPost, "/v1/checkouts", key, startBody())
			p := wantProblem(t, rec, http.StatusBadGateway, "start-refused")
			if !strings.Contains(p["detail"].(string), tt.message) || p["checkout_id"] == nil {
				t.Fatalf("problem %v", p)
			}
			id := p["checkout_id"].(string)
			c := decode(t, h.request(http.MethodGet, "/v1/checkouts/"+id, key, nil))
			anomaly, _ := c["anomaly"].(map[string]any)
			if c["state"] != "failed" || c["terminal"] != true || c["pay_url"] != nil || c["next_check_at"] != nil ||
				anomaly["code"] != store.AnomalyStartRefused || anomaly["detail"] != tt.message {
				t.Fatalf("checkout %v", c)
			}
			var hooks []string
			ds, err := h.db.Deliveries(context.Background(), f.merchantID(), store.DeliveryFilter{CheckoutID: id})
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range ds {
				hooks = append(hooks, d.Type)
			}
			slices.Sort(hooks)
			if !slices.Equal(hooks, []string{store.WebhookAnomaly, store.WebhookFailed}) {
				t.Errorf("webhooks %v", hooks)
			}
			again := h.request(http.MethodPost, "/v1/checkouts", key, startBody())
			wantStatus(t, again, http.StatusOK)
			if got := decode(t, again); got["id"] != id || got["state"] != "failed" || len(f.recorded()) != 1 {
				t.Fatalf("repeat %v after %d calls", got, len(f.recorded()))
			}
		})
	}
}

// TestStartUnavailable: a 5xx or a PayUnit that hangs up is 502; the
// checkout stays pending without pay_url and is polled; the same request
// again calls initialize again and completes it.
func TestStartUnavailable(t *testing.T) {
	for name, answer := range map[string]http.HandlerFunc{
		"503": func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte(`<html>maintenance</html>`))
		},
		"hang-up": func(w http.ResponseWriter, r *http.Request) {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
		},
		"200 garbled": func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{"statusCode":200,"data":{`)) },
	} {
		t.Run(name, func(t *testing.T) {
			h, f, _, key := setupStart(t)
			f.setAnswer(answer)
			p := wantProblem(t, h.request(http.MethodPost, "/v1/checkouts", key, startBody()), http.StatusBadGateway, "provider-unavailable")
			id, _ := p["checkout_id"].(string)
			c := decode(t, h.request(http.MethodGet, "/v1/checkouts/"+id, key, nil))
			if c["state"] != "pending" || c["pay_url"] != nil || c["next_check_at"] == nil || c["anomaly"] != nil {
				t.Fatalf("checkout %v, want pending without pay_url and polled", c)
			}
			if ev := lastEvent(t, h, key, id); ev["type"] != store.EventPaymentStarted ||
				!strings.HasPrefix(ev["detail"].(string), "payment started at PayUnit: no usable answer") {
				t.Errorf("last event %v", ev)
			}
			f.setAnswer(nil)
			rec := h.request(http.MethodPost, "/v1/checkouts", key, startBody())
			wantStatus(t, rec, http.StatusOK)
			if got := decode(t, rec); got["id"] != id || got["pay_url"] != payURLOf("order1042") || len(f.recorded()) != 2 {
				t.Fatalf("repeat %v after %d calls, want the pay_url from a second call", got, len(f.recorded()))
			}
		})
	}
}

// TestStartInterrupted: the request's context dies while initialize is
// in flight (the client hangs up, the process stops): the checkout,
// registered first, stays pending without pay_url, and the same request
// again completes it.
func TestStartInterrupted(t *testing.T) {
	h, f, _, key := setupStart(t)
	inFlight := make(chan struct{})
	f.setAnswer(func(w http.ResponseWriter, r *http.Request) {
		close(inFlight)
		<-r.Context().Done() // PayUnit never answers this one
	})
	raw, _ := json.Marshal(startBody())
	ctx, cancel := context.WithCancel(context.Background())
	req := httptest.NewRequest(http.MethodPost, "/v1/checkouts", bytes.NewReader(raw)).WithContext(ctx)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	done := make(chan *httptest.ResponseRecorder)
	go func() {
		rec := httptest.NewRecorder()
		h.e.ServeHTTP(rec, req)
		done <- rec
	}()
	testwait.Signal(t, "initialize in flight", inFlight)
	list, _, err := h.db.ListCheckouts(context.Background(), f.merchantID(), store.CheckoutFilter{Reference: "order1042"})
	if err != nil || len(list) != 1 || list[0].State != store.StatePending || list[0].PayURL != "" {
		t.Fatalf("during initialize: %+v, %v; want the checkout registered, pending", list, err)
	}
	cancel()
	testwait.Signal(t, "the interrupted request to end", done)
	ck, err := h.db.CheckoutByID(context.Background(), list[0].ID)
	if err != nil || ck.State != store.StatePending || ck.PayURL != "" || ck.NextCheckAt == nil {
		t.Fatalf("after the interruption: %+v, %v; want pending without pay_url, polled", ck, err)
	}
	f.setAnswer(nil)
	rec := h.request(http.MethodPost, "/v1/checkouts", key, startBody())
	wantStatus(t, rec, http.StatusOK)
	if got := decode(t, rec); got["id"] != ck.ID || got["pay_url"] != payURLOf("order1042") || len(f.recorded()) != 2 {
		t.Fatalf("repeat %v after %d calls", got, len(f.recorded()))
	}
}

// TestStartNotStartable: start for a provider that can't be started is 422.
func TestStartNotStartable(t *testing.T) {
	h := setup(t)
	key := h.azotteMerchant()
	rec := h.request(http.MethodPost, "/v1/checkouts", key, map[string]any{"provider": "azotte", "start": true,
		"provider_ref": "trk_1", "amount": "2500", "currency": "XAF"})
	if errs := fieldErrors(t, rec); errs["start"] == "" {
		t.Fatalf("errors %v", errs)
	}
	bad := startBody()
	bad["payment_country"], bad["pay_with"], bad["description"] = "Cameroon", strings.Repeat("x", 65), "a\x00b"
	_, key = h.merchant("shop.example")
	errs := fieldErrors(t, h.request(http.MethodPost, "/v1/checkouts", key, bad))
	if errs["payment_country"] == "" || errs["pay_with"] == "" || errs["description"] == "" {
		t.Fatalf("errors %v", errs)
	}
}

// jsonFields returns the members of a JSON object as raw JSON text.
func jsonFields(t *testing.T, b []byte) map[string]string {
	t.Helper()
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatalf("body %q: %v", b, err)
	}
	out := map[string]string{}
	for k, v := range raw {
		out[k] = string(v)
	}
	return out
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// lastEvent returns the latest entry of the checkout's events.
func lastEvent(t *testing.T, h *harness, key, id string) map[string]any {
	t.Helper()
	rec := h.request(http.MethodGet, "/v1/checkouts/"+id+"/events", key, nil)
	wantStatus(t, rec, http.StatusOK)
	list, _ := decode(t, rec)["data"].([]any)
	if len(list) == 0 {
		t.Fatal("no events")
	}
	return list[len(list)-1].(map[string]any)
}

// TestStartRepeatWhileInFlight: a repeat that comes while the first start
// is at PayUnit waits for its outcome and answers with the same checkout
// and pay_url; PayUnit is called once.
func TestStartRepeatWhileInFlight(t *testing.T) {
	h, f, _, key := setupStart(t)
	inFlight, release := make(chan struct{}), make(chan struct{})
	f.setAnswer(func(w http.ResponseWriter, r *http.Request) {
		close(inFlight)
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		answerStarted(w, r, "order1042")
	})
	send := func() <-chan *httptest.ResponseRecorder {
		done := make(chan *httptest.ResponseRecorder, 1)
		go func() { done <- h.request(http.MethodPost, "/v1/checkouts", key, startBody()) }()
		return done
	}
	first := send()
	testwait.Signal(t, "initialize in flight", inFlight)
	second := send()
	testwait.For(t, "the repeat to wait for the start in flight", func() bool { return h.s.starts.waiters() == 1 })
	close(release)
	a, b := testwait.Signal(t, "the first answer", first), testwait.Signal(t, "the repeat's answer", second)
	wantStatus(t, a, http.StatusCreated)
	wantStatus(t, b, http.StatusOK)
	ca, cb := decode(t, a), decode(t, b)
	if ca["id"] != cb["id"] || ca["pay_url"] != payURLOf("order1042") || cb["pay_url"] != ca["pay_url"] {
		t.Fatalf("first %v, repeat %v", ca, cb)
	}
	if n := len(f.recorded()); n != 1 {
		t.Fatalf("%d initialize calls, want 1", n)
	}
	if h.s.starts.waiters() != 0 {
		t.Fatalf("%d still waiting", h.s.starts.waiters())
	}
}
