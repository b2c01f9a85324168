package payunit

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/paysync/paysync/provider/plugin"
)

// startRequest is the payment the tests start.
var startRequest = plugin.StartRequest{Reference: "order1042", Amount: "2500", Currency: "XAF",
	NotifyURL: "https://paysync.example/hooks/payunit/tok", ReturnURL: "https://paysync.example/pay/ck/return",
	Description: "Order 1042", PaymentCountry: "CM", PayWith: "CM_MTNMOMO"}

func TestStartRequest(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		in   plugin.StartRequest
		want string
	}{
		{"every field", startRequest, `{"total_amount":2500,"currency":"XAF","transaction_id":"order1042",` +
			`"notify_url":"https://paysync.example/hooks/payunit/tok","return_url":"https://paysync.example/pay/ck/return",` +
			`"description":"Order 1042","payment_country":"CM","pay_with":"CM_MTNMOMO"}`},
		{"optional fields left out, a fraction", plugin.StartRequest{Reference: "r1", Amount: "10.5", Currency: "EUR",
			NotifyURL: "https://n.example/h", ReturnURL: "https://n.example/r"},
			`{"total_amount":10.5,"currency":"EUR","transaction_id":"r1","notify_url":"https://n.example/h","return_url":"https://n.example/r"}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got *http.Request
			var body []byte
			creds := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				got, body = r, readAll(r.Body)
				w.Write(readTestdata(t, "initialize_success.json"))
			})
			if s := New(nil).Start(context.Background(), creds, tt.in); s.Outcome != plugin.StartOK {
				t.Fatalf("Start = %+v", s)
			}
			if got.Method != http.MethodPost || got.URL.Path != "/api/gateway/initialize" {
				t.Errorf("request %s %s", got.Method, got.URL.Path)
			}
			wantAuth := "Basic " + base64.StdEncoding.EncodeToString([]byte("user-secret:password-secret"))
			if got.Header.Get("Authorization") != wantAuth || got.Header.Get("x-api-key") != "test_key-secret" ||
				got.Header.Get("mode") != "test" || got.Header.Get("Content-Type") != "application/json" {
				t.Errorf("headers %v", got.Header)
			}
			if !bytes.Equal(body, []byte(tt.want)) {
				t.Errorf("body %s\nwant %s", body, tt.want)
			}
		})
	}
}

func readAll(r io.Reader) []byte {
	b, _ := io.ReadAll(r)
	return b
}

func TestStartOutcomes(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		h    http.HandlerFunc
		want plugin.Started
	}{
		{"success", reply(200, string(readTestdata(t, "initialize_success.json"))),
			plugin.Started{Outcome: plugin.StartOK, PayURL: "https://pay.payunit.net/9a2b5f4e-5c3d-4b8e-9f1a-2c3d4e5f6a7b", HTTPStatus: 200}},
		{"success with checkout_id", reply(200, string(readTestdata(t, "initialize_success_checkout_id.json"))),
			plugin.Started{Outcome: plugin.StartOK, PayURL: "https://pay.payunit.net/checkout/PU_payment_8da2310b-a9d5-4c9c-836e-9cc13b718939",
				ProviderRef: "PU_payment_8da2310b-a9d5-4c9c-836e-9cc13b718939", HTTPStatus: 200}},
		{"400 with a message", reply(400, string(readTestdata(t, "initialize_refused_400.json"))),
			plugin.Started{Outcome: plugin.StartRefused, HTTPStatus: 400, Message: "transaction_id must contain only letters and digits", Failure: "request rejected"}},
		{"401 without a body", reply(401, ""),
			plugin.Started{Outcome: plugin.StartRefused, HTTPStatus: 401, Failure: "credentials rejected"}},
		{"200 refusing in the body", reply(200, string(readTestdata(t, "initialize_refused_in_body.json"))),
			plugin.Started{Outcome: plugin.StartRefused, HTTPStatus: 200, Message: "A transaction with this transaction_id already exists", Failure: "statusCode 409"}},
		{"200 with statusCode 500 in the body", reply(200, `{"statusCode":500,"message":"internal"}`),
			plugin.Started{Outcome: plugin.StartUnknown, HTTPStatus: 200, Message: "internal", Failure: "statusCode 500"}},
		{"429", reply(429, `{"statusCode":429,"message":"slow down"}`),
			plugin.Started{Outcome: plugin.StartUnknown, HTTPStatus: 429, Failure: "rate limited"}},
		{"502 html", reply(502, "<html>Bad Gateway</html>"),
			plugin.Started{Outcome: plugin.StartUnknown, HTTPStatus: 502, Failure: "server error"}},
		{"302", reply(302, "", "Location", "https://elsewhere.example/"),
			plugin.Started{Outcome: plugin.StartUnknown, HTTPStatus: 302, Failure: "unexpected redirect"}},
		{"200 without transaction_url", reply(200, string(readTestdata(t, "initialize_no_url.json"))),
			plugin.Started{Outcome: plugin.StartUnknown, HTTPStatus: 200, Failure: "malformed initialize response"}},
		{"200 naming transaction_url twice", reply(200, string(readTestdata(t, "initialize_duplicate_url.json"))),
			plugin.Started{Outcome: plugin.StartUnknown, HTTPStatus: 200, Failure: "malformed initialize response"}},
		{"200 html", reply(200, "<html>maintenance</html>"),
			plugin.Started{Outcome: plugin.StartUnknown, HTTPStatus: 200, Failure: "malformed initialize response"}},
		{"200 over the read bound", reply(200, string(readTestdata(t, "initialize_success.json"))+strings.Repeat(" ", int(DefaultMaxBody))),
			plugin.Started{Outcome: plugin.StartUnknown, HTTPStatus: 200, Failure: "read body"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			creds := newServer(t, tt.h)
			if got := New(nil).Start(context.Background(), creds, startRequest); got != tt.want {
				t.Errorf("Start = %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestStartNoAnswer(t *testing.T) {
	t.Parallel()
	creds := newServer(t, func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if got := New(nil).Start(ctx, creds, startRequest); got.Outcome != plugin.StartUnknown || got.HTTPStatus != 0 || got.Failure != "send request" {
		t.Errorf("Start with a dead context = %+v, want unknown, send request", got)
	}
	hangUp := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	})
	if got := New(nil).Start(context.Background(), hangUp, startRequest); got.Outcome != plugin.StartUnknown || got.Failure != "send request" {
		t.Errorf("Start to a server that hangs up = %+v, want unknown, send request", got)
	}
}

func TestStartBadBaseURL(t *testing.T) {
	t.Parallel()
	got := New(nil).Start(context.Background(), Credentials{BaseURL: "ftp://secret@p.example"}, startRequest)
	if got.Outcome != plugin.StartRefused || got.Failure != "build request" || got.HTTPStatus != 0 {
		t.Errorf("Start with a bad base URL = %+v, want refused before sending", got)
	}
}

func TestParseInitialize(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		body string
		want Initialized
		err  bool
	}{
		{"statusCode as a string", `{"statusCode":"200","data":{"transaction_url":"https://p.example/x"}}`,
			Initialized{StatusCode: 200, PayURL: "https://p.example/x"}, false},
		{"message cleaned", `{"statusCode":400,"message":"  bad\u0000 id\n "}`, Initialized{StatusCode: 400, Message: "bad  id"}, false},
		{"long message bounded", `{"statusCode":400,"message":"` + strings.Repeat("é", 400) + `"}`,
			Initialized{StatusCode: 400, Message: strings.Repeat("é", maxMessage) + "…"}, false},
		{"no statusCode", `{"data":{"transaction_url":"https://p.example/x"}}`, Initialized{}, true},
		{"statusCode not an integer", `{"statusCode":200.5,"data":{"transaction_url":"https://p.example/x"}}`, Initialized{}, true},
		{"statusCode an object", `{"statusCode":{},"data":{"transaction_url":"https://p.example/x"}}`, Initialized{}, true},
		{"transaction_url relative", `{"statusCode":200,"data":{"transaction_url":"/pay/x"}}`, Initialized{}, true},
		{"transaction_url javascript", `{"statusCode":200,"data":{"transaction_url":"javascript:alert(1)"}}`, Initialized{}, true},
		{"data not an object", `{"statusCode":200,"data":"x"}`, Initialized{}, true},
		{"duplicate statusCode", `{"statusCode":400,"statusCode":200,"data":{"transaction_url":"https://p.example/x"}}`, Initialized{}, true},
		{"case-folded duplicate", `{"statusCode":200,"StatusCode":400,"data":{"transaction_url":"https://p.example/x"}}`, Initialized{}, true},
		{"not an object", `[]`, Initialized{}, true},
	} {
		got, err := ParseInitialize([]byte(tt.body))
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("%s: %+v, %v; want %+v, error %v", tt.name, got, err, tt.want, tt.err)
		}
		if err != nil && !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: error %v does not wrap ErrMalformed", tt.name, err)
		}
	}
}

func FuzzParseInitialize(f *testing.F) {
	for _, name := range []string{"initialize_success.json", "initialize_success_checkout_id.json", "initialize_refused_400.json",
		"initialize_refused_in_body.json", "initialize_duplicate_url.json", "initialize_no_url.json", "status_html_error.html"} {
		f.Add(readTestdata(f, name))
	}
	f.Add([]byte(`{"statusCode":"200","data":{"transaction_url":"https://p.example/x","checkout_id":7}}`))
	f.Add([]byte(`{"statusCode":200,"data":{"transaction_url":"https://p.example/x"},"data":{"transaction_url":"https://q.example/"}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := ParseInitialize(body)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		var ref struct{ Data map[string]json.RawMessage }
		if err := json.Unmarshal(body, &ref); err != nil {
			t.Fatalf("encoding/json refused %q: %v", body, err)
		}
		var url string
		if err := json.Unmarshal(ref.Data["transaction_url"], &url); err == nil && r.StatusCode == http.StatusOK && url != r.PayURL {
			t.Fatalf("PayURL %q, encoding/json read %q in %q", r.PayURL, url, body)
		}
		if r.StatusCode == http.StatusOK && !strings.HasPrefix(r.PayURL, "http") {
			t.Fatalf("statusCode 200 without an http(s) pay URL: %+v", r)
		}
		if r.StatusCode != http.StatusOK && (r.PayURL != "" || r.CheckoutID != "") {
			t.Fatalf("a refusal with a pay URL: %+v", r)
		}
		if !json.Valid(body) {
			t.Fatalf("invalid JSON parsed: %q", body)
		}
	})
}
