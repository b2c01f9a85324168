package sandbox

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// initialize posts body to the initialize endpoint with creds and returns
// the answer's status code and decoded body.
func initialize(t *testing.T, srv *httptest.Server, creds PayUnitConfig, body string) (int, initializeResponse, string) {
	t.Helper()
	resp, raw := callPayUnit(t, srv, creds, http.MethodPost, "/api/gateway/initialize", strings.NewReader(body))
	var got initializeResponse
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
	return resp.StatusCode, got, string(raw)
}

// startBody is an initialize body with every field PayUnit takes.
func startBody(notifyURL, returnURL string) string {
	return `{"total_amount":2500,"currency":"XAF","transaction_id":"order1042","notify_url":"` + notifyURL +
		`","return_url":"` + returnURL + `","description":"Order 1042","payment_country":"CM","pay_with":"CM_MTNMOMO"}`
}

func TestInitializeStartsAPayment(t *testing.T) {
	t.Parallel()
	pu, srv := setup(t)
	code, got, raw := initialize(t, srv, testCreds, startBody("https://paysync.example/hooks/payunit/tok", "https://paysync.example/pay/tok/return"))
	if code != http.StatusOK || got.Status != "SUCCESS" || got.StatusCode != 200 || got.Message == "" || got.Data == nil {
		t.Fatalf("initialize: %d %s", code, raw)
	}
	d := got.Data
	if d.TransactionID != "order1042" || !strings.HasPrefix(d.CheckoutID, "PU_payment_") || d.TID != d.CheckoutID ||
		d.TransactionURL != srv.URL+"/sandbox/payments/"+d.CheckoutID+"/pay" {
		t.Fatalf("data = %+v", d)
	}
	want := InitializeRequest{TotalAmount: "2500", Currency: "XAF", TransactionID: "order1042",
		NotifyURL: "https://paysync.example/hooks/payunit/tok", ReturnURL: "https://paysync.example/pay/tok/return",
		Description: "Order 1042", PaymentCountry: "CM", PayWith: "CM_MTNMOMO"}
	if inits := pu.Initializations(); len(inits) != 1 || inits[0] != want {
		t.Fatalf("Initializations = %+v, want [%+v]", inits, want)
	}
	// The status API knows the payment by both ids.
	for _, id := range []string{d.CheckoutID, "order1042"} {
		resp, body := getStatus(t, srv, id, testCreds)
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"checkout_id":"`+d.CheckoutID+`","transaction_id":"order1042"`) ||
			!strings.Contains(string(body), `"status":"PENDING"`) || !strings.Contains(string(body), `"total_amount":2500,"currency":"XAF"`) {
			t.Errorf("status of %s: %d %s", id, resp.StatusCode, body)
		}
	}

	// The same request again answers the same payment; a different one
	// with the same transaction id is refused.
	code, again, raw := initialize(t, srv, testCreds, startBody("https://paysync.example/hooks/payunit/tok", "https://paysync.example/pay/tok/return"))
	if code != http.StatusOK || again.Data == nil || *again.Data != *d {
		t.Fatalf("repeat: %d %s", code, raw)
	}
	code, other, raw := initialize(t, srv, testCreds, strings.Replace(startBody("https://a.example/n", "https://a.example/r"), "2500", "2600", 1))
	if code != http.StatusBadRequest || other.StatusCode != 400 || other.Status != "FAILED" || other.Message == "" || other.Data != nil {
		t.Fatalf("other payment with a used transaction id: %d %s", code, raw)
	}
	if n := pu.InitializeCalls(); n != 3 {
		t.Errorf("InitializeCalls = %d, want 3", n)
	}
}

func TestInitializePageURL(t *testing.T) {
	t.Parallel()
	cfg := testCreds
	cfg.PageURL = "https://pay.sandbox.example/"
	srv := httptest.NewServer(NewPayUnit(cfg))
	t.Cleanup(srv.Close)
	_, got, raw := initialize(t, srv, testCreds, startBody("https://a.example/n", "https://a.example/r"))
	if got.Data == nil || got.Data.TransactionURL != "https://pay.sandbox.example/sandbox/payments/"+got.Data.CheckoutID+"/pay" {
		t.Fatalf("initialize: %s", raw)
	}
}

func TestInitializeAuthRejected(t *testing.T) {
	t.Parallel()
	pu, srv := setup(t)
	for name, mutate := range map[string]func(*PayUnitConfig){
		"api key":  func(c *PayUnitConfig) { c.APIKey = "live_other" },
		"mode":     func(c *PayUnitConfig) { c.Mode = "live" },
		"user":     func(c *PayUnitConfig) { c.APIUser = "someone" },
		"password": func(c *PayUnitConfig) { c.APIPassword = "guess" },
	} {
		creds := testCreds
		mutate(&creds)
		code, got, raw := initialize(t, srv, creds, startBody("https://a.example/n", "https://a.example/r"))
		if code != http.StatusUnauthorized || got.Status != "FAILED" || got.StatusCode != 401 || got.Message == "" || got.Data != nil {
			t.Errorf("%s: %d %s", name, code, raw)
		}
	}
	if inits := pu.Initializations(); len(inits) != 0 {
		t.Errorf("refused requests started payments: %+v", inits)
	}
}

func TestInitializeBadBody(t *testing.T) {
	t.Parallel()
	pu, srv := setup(t)
	ok := map[string]any{"total_amount": json.Number("10.50"), "currency": "XAF", "transaction_id": "t1",
		"return_url": "https://a.example/r", "notify_url": "https://a.example/n"}
	for name, change := range map[string]func(m map[string]any){
		"amount as a string": func(m map[string]any) { m["total_amount"] = "10.50" },
		"no amount":          func(m map[string]any) { delete(m, "total_amount") },
		"zero amount":        func(m map[string]any) { m["total_amount"] = 0 },
		"negative amount":    func(m map[string]any) { m["total_amount"] = -5 },
		"exponent":           func(m map[string]any) { m["total_amount"] = json.Number("1e3") },
		"no currency":        func(m map[string]any) { delete(m, "currency") },
		"no transaction id":  func(m map[string]any) { delete(m, "transaction_id") },
		"no return url":      func(m map[string]any) { delete(m, "return_url") },
		"notify url spaced":  func(m map[string]any) { m["notify_url"] = " https://a.example/n" },
	} {
		m := map[string]any{}
		for k, v := range ok {
			m[k] = v
		}
		change(m)
		body, _ := json.Marshal(m)
		code, got, raw := initialize(t, srv, testCreds, string(body))
		if code != http.StatusBadRequest || got.Status != "FAILED" || got.StatusCode != 400 || got.Message == "" || got.Data != nil {
			t.Errorf("%s: %d %s", name, code, raw)
		}
	}
	code, _, raw := initialize(t, srv, testCreds, `{"total_amount":`)
	if code != http.StatusBadRequest {
		t.Errorf("truncated JSON: %d %s", code, raw)
	}
	if inits := pu.Initializations(); len(inits) != 0 {
		t.Errorf("bad bodies started payments: %+v", inits)
	}
	body, _ := json.Marshal(ok)
	if code, _, raw := initialize(t, srv, testCreds, string(body)); code != http.StatusOK {
		t.Errorf("good body: %d %s", code, raw)
	}
}

func TestPayPageChoices(t *testing.T) {
	t.Parallel()
	tests := []struct {
		choice       string
		wantStatus   string
		wantCallback bool
	}{
		{"pays", StatusSuccess, true},
		{"fails", StatusFailed, true},
		{"cancelled", StatusCancelled, true},
		{"pays_lost", StatusSuccess, false},
	}
	for _, tt := range tests {
		t.Run(tt.choice, func(t *testing.T) {
			t.Parallel()
			pu, srv := setup(t)
			recv, ch := newReceiver(t, http.StatusOK)
			_, got, raw := initialize(t, srv, testCreds, startBody(recv.URL+"/notify", "https://shop.example/return?x=1"))
			if got.Data == nil {
				t.Fatalf("initialize: %s", raw)
			}
			id := got.Data.CheckoutID

			resp, err := srv.Client().Get(got.Data.TransactionURL)
			if err != nil {
				t.Fatal(err)
			}
			page, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			for _, want := range []string{`<html lang="en">`, `2500 XAF`, `Order 1042`, `<legend>`,
				`id="pay" name="choice" value="pays" aria-describedby="pay-hint"`, `id="fail"`, `id="cancel"`, `id="pay-lost"`} {
				if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), want) {
					t.Errorf("pay page (%d) lacks %s:\n%s", resp.StatusCode, want, page)
				}
			}

			resp, err = noRedirects(srv).PostForm(got.Data.TransactionURL, url.Values{"choice": {tt.choice}})
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "https://shop.example/return?x=1" {
				t.Fatalf("choice: %d to %q, want 303 to the return URL", resp.StatusCode, resp.Header.Get("Location"))
			}
			_, body := getStatus(t, srv, id, testCreds)
			if !strings.Contains(string(body), `"status":"`+tt.wantStatus+`","phone_number_collection"`) {
				t.Errorf("status after %s: %s", tt.choice, body)
			}
			// The callback, when there is one, was posted before the redirect.
			select {
			case cb := <-ch:
				if !tt.wantCallback {
					t.Fatalf("unexpected callback %s", cb.body)
				}
				want := `{"transaction_id":"order1042","checkout_id":"` + id + `","status":"` + tt.wantStatus +
					`","amount":2500,"currency":"XAF","transaction_amount":2500}`
				if string(cb.body) != want {
					t.Errorf("callback = %s\nwant       %s", cb.body, want)
				}
			default:
				if tt.wantCallback {
					t.Fatal("no callback before the redirect")
				}
			}

			// A second choice changes nothing and posts nothing.
			resp, err = noRedirects(srv).PostForm(got.Data.TransactionURL, url.Values{"choice": {"fails"}})
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusSeeOther {
				t.Errorf("second choice: %d", resp.StatusCode)
			}
			select {
			case cb := <-ch:
				t.Errorf("second choice posted %s", cb.body)
			default:
			}
			_, body = getStatus(t, srv, id, testCreds)
			if !strings.Contains(string(body), `"status":"`+tt.wantStatus+`","phone_number_collection"`) {
				t.Errorf("status after a second choice: %s", body)
			}
			resp, err = srv.Client().Get(got.Data.TransactionURL)
			if err != nil {
				t.Fatal(err)
			}
			page, _ = io.ReadAll(resp.Body)
			resp.Body.Close()
			if strings.Contains(string(page), "<form") || !strings.Contains(string(page), `id="back" href="https://shop.example/return?x=1"`) {
				t.Errorf("page of an ended payment:\n%s", page)
			}
			if n := pu.TotalChecks(); n != 2 {
				t.Errorf("TotalChecks = %d, want 2", n)
			}
		})
	}
}

func TestPayPageWithoutReturnURL(t *testing.T) {
	t.Parallel()
	pu, srv := setup(t)
	recv, ch := newReceiver(t, http.StatusInternalServerError)
	id := pu.Create(Payment{TransactionID: "order-1", Amount: "10", Currency: "XAF", NotifyURL: recv.URL})
	resp, err := noRedirects(srv).PostForm(srv.URL+"/sandbox/payments/"+id+"/pay", url.Values{"choice": {"pays"}})
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), `<span id="status">SUCCESS</span>`) ||
		!strings.Contains(string(page), `id="callback-error"`) {
		t.Errorf("done page: %d %s", resp.StatusCode, page)
	}
	waitCallback(t, ch)

	for _, tc := range []struct {
		path, choice string
		want         int
	}{
		{"/sandbox/payments/" + id + "/pay", "never", http.StatusBadRequest},
		{"/sandbox/payments/" + id + "/pay", "", http.StatusBadRequest},
		{"/sandbox/payments/PU_payment_unknown/pay", "pays", http.StatusNotFound},
	} {
		resp, err := noRedirects(srv).PostForm(srv.URL+tc.path, url.Values{"choice": {tc.choice}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("POST %s choice=%q: %d, want %d", tc.path, tc.choice, resp.StatusCode, tc.want)
		}
	}
	resp, err = srv.Client().Get(srv.URL + "/sandbox/payments/PU_payment_unknown/pay")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("page of an unknown payment: %d", resp.StatusCode)
	}
}

func TestInitializeFaults(t *testing.T) {
	t.Parallel()
	pu, srv := setup(t)
	body := startBody("https://a.example/n", "https://a.example/r")

	// In front of PayUnit: nothing is created.
	pu.SetInitializeFaults(Faults{Status5xxRate: 1})
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/api/gateway/initialize", strings.NewReader(body))
	req.Header.Set("x-api-key", testCreds.APIKey)
	req.Header.Set("mode", testCreds.Mode)
	req.SetBasicAuth(testCreds.APIUser, testCreds.APIPassword)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || len(pu.Initializations()) != 0 {
		t.Fatalf("503 fault: %d, %d payments started", resp.StatusCode, len(pu.Initializations()))
	}

	// The answer lost: the payment exists, and the same request again
	// finds it.
	pu.SetInitializeFaults(Faults{MalformedRate: 1})
	req, _ = http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/api/gateway/initialize", strings.NewReader(body))
	req.Header.Set("x-api-key", testCreds.APIKey)
	req.Header.Set("mode", testCreds.Mode)
	req.SetBasicAuth(testCreds.APIUser, testCreds.APIPassword)
	resp, err = srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	spoilt, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var v any
	if resp.StatusCode != http.StatusOK || json.Unmarshal(spoilt, &v) == nil {
		t.Fatalf("malformed fault: %d %s", resp.StatusCode, spoilt)
	}
	pu.SetInitializeFaults(Faults{})
	code, got, raw := initialize(t, srv, testCreds, body)
	if code != http.StatusOK || got.Data == nil || !strings.Contains(string(spoilt), got.Data.CheckoutID[:20]) {
		t.Fatalf("after a lost answer: %d %s (lost answer %s)", code, raw, spoilt)
	}
	if n := len(pu.Initializations()); n != 2 {
		t.Errorf("%d initializations recorded, want 2", n)
	}
	if c := pu.FaultCounts(); c[FaultServer] != 1 || c[FaultMalformed] != 1 {
		t.Errorf("FaultCounts = %v", c)
	}
}
