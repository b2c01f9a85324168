package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/paysync/paysync/internal/testwait"
)

// testCreds are the credentials the test gateway accepts.
var testCreds = PayUnitConfig{
	APIKey:      "test_key",
	APIUser:     "user",
	APIPassword: "secret",
	Mode:        "test",
}

// setup starts a fake PayUnit behind an httptest server with a fixed clock.
func setup(t *testing.T) (*PayUnit, *httptest.Server) {
	t.Helper()
	cfg := testCreds
	cfg.Now = func() time.Time { return time.Date(2023, 7, 10, 13, 58, 45, 586e6, time.UTC) }
	pu := NewPayUnit(cfg)
	srv := httptest.NewServer(pu)
	t.Cleanup(srv.Close)
	return pu, srv
}

// getStatus asks the status API about id with the given credentials.
func getStatus(t *testing.T, srv *httptest.Server, id string, creds PayUnitConfig) (*http.Response, []byte) {
	t.Helper()
	return callPayUnit(t, srv, creds, http.MethodGet, "/api/gateway/checkout/status/"+id, nil)
}

// callPayUnit sends a request to the sandbox PayUnit with creds as a
// merchant's client does (Basic, x-api-key, mode) and returns the answer
// with its body read.
func callPayUnit(t *testing.T, srv *httptest.Server, creds PayUnitConfig, method, path string, body io.Reader) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, srv.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("x-api-key", creds.APIKey)
	req.Header.Set("mode", creds.Mode)
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth(creds.APIUser, creds.APIPassword)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, raw
}

// receivedCallback is one request seen by a callback receiver.
type receivedCallback struct {
	contentType string
	body        []byte
}

// newReceiver starts a callback endpoint that answers code and hands each
// request to the returned channel.
func newReceiver(t *testing.T, code int) (*httptest.Server, <-chan receivedCallback) {
	t.Helper()
	ch := make(chan receivedCallback, 8)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		ch <- receivedCallback{r.Header.Get("Content-Type"), body}
		w.WriteHeader(code)
	}))
	t.Cleanup(srv.Close)
	return srv, ch
}

// waitCallback returns the next callback.
func waitCallback(t *testing.T, ch <-chan receivedCallback) receivedCallback {
	t.Helper()
	return testwait.Signal(t, "a callback", ch)
}

func TestStatusByCheckoutAndTransactionID(t *testing.T) {
	t.Parallel()
	pu, srv := setup(t)
	id := pu.Create(Payment{TransactionID: "order-1", Amount: "10", Currency: "XAF", NotifyURL: "https://example.com/notify"})
	if !strings.HasPrefix(id, "PU_payment_") || len(id) != len("PU_payment_")+36 {
		t.Fatalf("checkout id = %q", id)
	}
	for _, lookup := range []string{id, "order-1"} {
		resp, body := getStatus(t, srv, lookup, testCreds)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: status %d: %s", lookup, resp.StatusCode, body)
		}
		var got struct {
			Status     string `json:"status"`
			StatusCode int    `json:"statusCode"`
			Message    string `json:"message"`
			Data       struct {
				ID            int         `json:"id"`
				CheckoutID    string      `json:"checkout_id"`
				TransactionID string      `json:"transaction_id"`
				Mode          string      `json:"mode"`
				CheckoutMode  string      `json:"checkout_mode"`
				Status        string      `json:"status"`
				NotifyURL     string      `json:"notify_url"`
				TotalAmount   json.Number `json:"total_amount"`
				Currency      string      `json:"currency"`
				UpdatedAt     string      `json:"updated_at"`
				Transaction   struct {
					TransactionID string          `json:"transaction_id"`
					Status        string          `json:"status"`
					CreatedAt     string          `json:"created_at"`
					DeletedAt     json.RawMessage `json:"deleted_at"`
				} `json:"transaction"`
			} `json:"data"`
		}
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatalf("decode %s: %v", body, err)
		}
		d := got.Data
		if got.Status != "SUCCESS" || got.StatusCode != 200 || got.Message != "Checkout Payment Details" ||
			d.ID == 0 || d.CheckoutID != id || d.TransactionID != "order-1" || d.Mode != "payment" ||
			d.CheckoutMode != "TEST" || d.Status != StatusPending || d.NotifyURL != "https://example.com/notify" ||
			d.TotalAmount != "10" || d.Currency != "XAF" || d.UpdatedAt != "2023-07-10T13:58:45.586Z" ||
			d.Transaction.TransactionID != "order-1" || d.Transaction.Status != StatusPending ||
			d.Transaction.CreatedAt != "2023-07-10T13:58:45.586Z" || string(d.Transaction.DeletedAt) != "null" {
			t.Errorf("GET %s: unexpected body %s", lookup, body)
		}
	}
	if n := pu.Checks(id); n != 2 {
		t.Errorf("Checks(checkout id) = %d, want 2", n)
	}
	if n := pu.Checks("order-1"); n != 2 {
		t.Errorf("Checks(transaction id) = %d, want 2", n)
	}

	if err := pu.SetStatus(id, StatusCancelled); err != nil {
		t.Fatal(err)
	}
	_, body := getStatus(t, srv, id, testCreds)
	if !strings.Contains(string(body), `"checkout_mode":"TEST","status":"CANCELLED"`) {
		t.Errorf("after SetStatus: %s", body)
	}
}

func TestStatusUnknownID(t *testing.T) {
	t.Parallel()
	pu, srv := setup(t)
	resp, body := getStatus(t, srv, "nope", testCreds)
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if got, want := strings.TrimSpace(string(body)), `{"status":"FAILED","statusCode":404,"message":"Checkout not found"}`; got != want {
		t.Errorf("body = %s, want %s", got, want)
	}
	if n := pu.TotalChecks(); n != 1 {
		t.Errorf("TotalChecks = %d, want 1", n)
	}
}

func TestStatusAuthRejected(t *testing.T) {
	t.Parallel()
	pu, srv := setup(t)
	id := pu.Create(Payment{TransactionID: "order-1", Amount: "10", Currency: "XAF"})
	bad := map[string]func(*PayUnitConfig){
		"api key":  func(c *PayUnitConfig) { c.APIKey = "live_other" },
		"mode":     func(c *PayUnitConfig) { c.Mode = "live" },
		"user":     func(c *PayUnitConfig) { c.APIUser = "someone" },
		"password": func(c *PayUnitConfig) { c.APIPassword = "guess" },
	}
	for name, mutate := range bad {
		creds := testCreds
		mutate(&creds)
		resp, body := getStatus(t, srv, id, creds)
		var got statusResponse
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatalf("%s: decode %s: %v", name, body, err)
		}
		if resp.StatusCode != http.StatusUnauthorized || got.Status != "FAILED" || got.StatusCode != 401 || got.Message == "" || got.Data != nil {
			t.Errorf("%s: %d %s", name, resp.StatusCode, body)
		}
	}
}

func TestLiveModeReportsLIVE(t *testing.T) {
	t.Parallel()
	cfg := testCreds
	cfg.Mode = "live"
	pu := NewPayUnit(cfg)
	srv := httptest.NewServer(pu)
	t.Cleanup(srv.Close)
	id := pu.Create(Payment{TransactionID: "order-1", Amount: "10", Currency: "XAF"})
	_, body := getStatus(t, srv, id, cfg)
	if !strings.Contains(string(body), `"checkout_mode":"LIVE"`) {
		t.Errorf("body = %s", body)
	}
}

func TestAmountRenderedExactly(t *testing.T) {
	t.Parallel()
	pu, srv := setup(t)
	id := pu.Create(Payment{TransactionID: "order-1", Amount: "10.50", Currency: "XAF"})
	_, body := getStatus(t, srv, id, testCreds)
	for _, want := range []string{`"total_amount":10.50,`, `"amount":10.50,`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("body lacks %s: %s", want, body)
		}
	}

	if err := pu.SetReported(id, "9.99", "EUR"); err != nil {
		t.Fatal(err)
	}
	_, body = getStatus(t, srv, "order-1", testCreds)
	if !strings.Contains(string(body), `"total_amount":9.99,"currency":"EUR"`) {
		t.Errorf("after SetReported: %s", body)
	}
	if err := pu.SetReported(id, "1e3", "XAF"); !errors.Is(err, ErrInvalidAmount) {
		t.Errorf("SetReported(1e3) = %v, want ErrInvalidAmount", err)
	}
}

func TestResolveScenarios(t *testing.T) {
	t.Parallel()
	tests := []struct {
		scenario     Scenario
		wantStatus   string
		wantCallback bool
	}{
		{ScenarioPays, StatusSuccess, true},
		{ScenarioPaysLost, StatusSuccess, false},
		{ScenarioFails, StatusFailed, true},
		{ScenarioCancelled, StatusCancelled, true},
		{ScenarioNeverResolves, StatusPending, false},
	}
	for _, tt := range tests {
		t.Run(string(tt.scenario), func(t *testing.T) {
			t.Parallel()
			pu, srv := setup(t)
			recv, ch := newReceiver(t, http.StatusOK)
			id := pu.Create(Payment{TransactionID: "order-1", Amount: "10.50", Currency: "XAF", NotifyURL: recv.URL, Scenario: tt.scenario})
			if err := pu.Resolve(t.Context(), id); err != nil {
				t.Fatalf("Resolve: %v", err)
			}
			_, body := getStatus(t, srv, id, testCreds)
			if !strings.Contains(string(body), `"status":"`+tt.wantStatus+`","phone_number_collection"`) {
				t.Errorf("status body = %s, want %s", body, tt.wantStatus)
			}
			if !tt.wantCallback {
				select {
				case cb := <-ch:
					t.Errorf("unexpected callback %s", cb.body)
				default:
				}
				return
			}
			cb := waitCallback(t, ch)
			if cb.contentType != "application/json" {
				t.Errorf("Content-Type = %q", cb.contentType)
			}
			want := `{"transaction_id":"order-1","checkout_id":"` + id + `","status":"` + tt.wantStatus +
				`","amount":10.50,"currency":"XAF","transaction_amount":10.50}`
			if string(cb.body) != want {
				t.Errorf("callback = %s\nwant       %s", cb.body, want)
			}
		})
	}
}

func TestResolveReportsCallbackFailure(t *testing.T) {
	t.Parallel()
	pu, _ := setup(t)
	recv, ch := newReceiver(t, http.StatusInternalServerError)
	id := pu.Create(Payment{TransactionID: "order-1", Amount: "10", Currency: "XAF", NotifyURL: recv.URL})
	if err := pu.Resolve(t.Context(), id); !errors.Is(err, ErrCallbackStatus) {
		t.Errorf("Resolve = %v, want ErrCallbackStatus", err)
	}
	waitCallback(t, ch)
	if err := pu.Resolve(t.Context(), "PU_payment_unknown"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Resolve(unknown) = %v, want ErrNotFound", err)
	}
}

func TestSendFormCallback(t *testing.T) {
	t.Parallel()
	pu, _ := setup(t)
	recv, ch := newReceiver(t, http.StatusOK)
	id := pu.Create(Payment{TransactionID: "order-1", Amount: "10.50", Currency: "XAF", NotifyURL: recv.URL, Scenario: ScenarioNeverResolves})
	if err := pu.SendFormCallback(t.Context(), id, StatusSuccess); err != nil {
		t.Fatal(err)
	}
	cb := waitCallback(t, ch)
	if cb.contentType != "application/x-www-form-urlencoded" {
		t.Errorf("Content-Type = %q", cb.contentType)
	}
	form, err := url.ParseQuery(string(cb.body))
	if err != nil {
		t.Fatal(err)
	}
	want := url.Values{
		"transaction_id": {"order-1"}, "checkout_id": {id}, "status": {"SUCCESS"},
		"amount": {"10.50"}, "currency": {"XAF"}, "transaction_amount": {"10.50"},
	}
	if form.Encode() != want.Encode() {
		t.Errorf("form = %s, want %s", form.Encode(), want.Encode())
	}
}

func TestFaults(t *testing.T) {
	t.Parallel()
	pu, srv := setup(t)
	id := pu.Create(Payment{TransactionID: "order-1", Amount: "10", Currency: "XAF"})

	pu.SetFaults(Faults{Status429Rate: 1, RetryAfter: 7})
	resp, _ := getStatus(t, srv, id, testCreds)
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "7" {
		t.Errorf("429 fault: %d Retry-After=%q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}

	pu.SetFaults(Faults{Status5xxRate: 1})
	resp, body := getStatus(t, srv, id, testCreds)
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") ||
		!strings.Contains(string(body), "<html>") {
		t.Errorf("503 fault: %d %s", resp.StatusCode, body)
	}

	pu.SetFaults(Faults{MalformedRate: 1})
	resp, body = getStatus(t, srv, id, testCreds)
	var v any
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &v) == nil || !strings.HasPrefix(string(body), `{"status":"SUCCESS"`) {
		t.Errorf("malformed fault: %d %s", resp.StatusCode, body)
	}

	pu.SetFaults(Faults{})
	resp, _ = getStatus(t, srv, id, testCreds)
	if resp.StatusCode != http.StatusOK {
		t.Errorf("no faults: %d", resp.StatusCode)
	}
	if n := pu.Checks(id); n != 4 {
		t.Errorf("Checks = %d, want 4", n)
	}
}

func TestDelayRespectsCancellation(t *testing.T) {
	t.Parallel()
	pu, _ := setup(t)
	id := pu.Create(Payment{TransactionID: "order-1", Amount: "10", Currency: "XAF"})
	pu.SetFaults(Faults{Delay: time.Hour})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	req := httptest.NewRequestWithContext(ctx, http.MethodGet, "/api/gateway/checkout/status/"+id, nil)
	rec := httptest.NewRecorder()
	done := make(chan struct{})
	go func() {
		pu.ServeHTTP(rec, req)
		close(done)
	}()
	testwait.Signal(t, "the delayed request to end on its cancellation", done)
	if rec.Body.Len() != 0 {
		t.Errorf("cancelled request got body %s", rec.Body)
	}
}

func TestSandboxRoutes(t *testing.T) {
	t.Parallel()
	pu, srv := setup(t)
	recv, ch := newReceiver(t, http.StatusOK)
	create := `{"transaction_id":"order-9","amount":25.50,"currency":"XAF","notify_url":"` + recv.URL + `","scenario":"fails"}`
	resp, err := srv.Client().Post(srv.URL+"/sandbox/payments", "application/json", strings.NewReader(create))
	if err != nil {
		t.Fatal(err)
	}
	var created struct {
		CheckoutID string `json:"checkout_id"`
	}
	err = json.NewDecoder(resp.Body).Decode(&created)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusCreated || created.CheckoutID == "" {
		t.Fatalf("create: %d %+v %v", resp.StatusCode, created, err)
	}

	resp, err = srv.Client().Get(srv.URL + "/sandbox/payments/" + created.CheckoutID + "/pay")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), `action="/sandbox/payments/`+created.CheckoutID+`/pay"`) {
		t.Errorf("pay page: %d %s", resp.StatusCode, page)
	}

	resp, err = srv.Client().Post(srv.URL+"/sandbox/payments/"+created.CheckoutID+"/resolve", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resolved, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(resolved), `"status":"FAILED"`) {
		t.Errorf("resolve: %d %s", resp.StatusCode, resolved)
	}
	cb := waitCallback(t, ch)
	if !strings.Contains(string(cb.body), `"status":"FAILED","amount":25.50,`) {
		t.Errorf("callback = %s", cb.body)
	}
	if n := pu.TotalChecks(); n != 0 {
		t.Errorf("TotalChecks = %d, want 0", n)
	}

	for _, body := range []string{`{"transaction_id":"x","amount":"1.2.3"}`, `{"amount":"1"}`, `{"transaction_id":"x","amount":1,"scenario":"maybe"}`, `{`} {
		resp, err := srv.Client().Post(srv.URL+"/sandbox/payments", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("create %s: status %d, want 400", body, resp.StatusCode)
		}
	}
}
