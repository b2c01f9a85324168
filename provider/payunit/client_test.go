package payunit

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/paysync/paysync/provider/internal/statusapi"
	"github.com/paysync/paysync/provider/internal/statusapi/statusapitest"
)

// newServer starts a fake PayUnit answering with h, and returns credentials
// pointing at it.
func newServer(t *testing.T, h http.HandlerFunc) Credentials {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return Credentials{
		BaseURL:     srv.URL,
		APIUser:     "user-secret",
		APIPassword: "password-secret",
		APIKey:      "test_key-secret",
		Mode:        "test",
	}
}

// reply returns a handler answering with code, headers and body.
var reply = statusapitest.Reply

func TestStatusRequest(t *testing.T) {
	t.Parallel()
	success := string(readTestdata(t, "status_success.json"))
	tests := []struct {
		name, id, suffix, wantURI string
	}{
		{"plain", "PU_payment_8da2310b", "", "/api/gateway/checkout/status/PU_payment_8da2310b"},
		{"trailing slash", "abc", "/", "/api/gateway/checkout/status/abc"},
		{"escaped", "a/b c?d#e%f", "/", "/api/gateway/checkout/status/a%2Fb%20c%3Fd%23e%25f"},
		{"base path kept", "x", "/gw/", "/gw/api/gateway/checkout/status/x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got *http.Request
			creds := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				got = r
				w.Header().Set("Content-Type", "application/json")
				w.Write([]byte(success))
			})
			creds.BaseURL += tt.suffix
			res, err := New(nil).Status(context.Background(), creds, tt.id)
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != "SUCCESS" || res.HTTPStatus != http.StatusOK || res.Amount != "10" {
				t.Errorf("result = %+v", res)
			}
			if got.Method != http.MethodGet || got.RequestURI != tt.wantURI {
				t.Errorf("request = %s %s, want GET %s", got.Method, got.RequestURI, tt.wantURI)
			}
			basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("user-secret:password-secret"))
			for k, want := range map[string]string{
				"X-Api-Key":     "test_key-secret",
				"Mode":          "test",
				"Content-Type":  "application/json",
				"Accept":        "application/json",
				"Authorization": basic,
			} {
				if v := got.Header.Get(k); v != want {
					t.Errorf("header %s = %q, want %q", k, v, want)
				}
			}
		})
	}
}

func TestStatusErrors(t *testing.T) {
	t.Parallel()
	html := string(readTestdata(t, "status_html_error.html"))
	tests := []struct {
		name       string
		h          http.HandlerFunc
		kind       ErrorKind
		code       int
		retryAfter time.Duration
		is         error
		maxBody    int64
	}{
		{name: "401", h: reply(401, `{"message":"bad key test_key-secret"}`), kind: KindAuth, code: 401},
		{name: "403", h: reply(403, ``), kind: KindAuth, code: 403},
		{name: "404", h: reply(404, `{"status":"FAILED","statusCode":404}`), kind: KindNotFound, code: 404},
		{name: "400", h: reply(400, ``), kind: KindRejected, code: 400},
		{name: "422", h: reply(422, ``), kind: KindRejected, code: 422},
		{name: "302 not followed", h: reply(302, ``, "Location", "/elsewhere"), kind: KindRejected, code: 302},
		{name: "429", h: reply(429, ``, "Retry-After", "30"), kind: KindTransient, code: 429, retryAfter: 30 * time.Second},
		{name: "503 retry-after", h: reply(503, html, "Retry-After", "120"), kind: KindTransient, code: 503, retryAfter: 2 * time.Minute},
		{name: "500", h: reply(500, html), kind: KindTransient, code: 500},
		{name: "200 html", h: reply(200, html, "Content-Type", "text/html"), kind: KindTransient, code: 200, is: ErrMalformed},
		{name: "200 data null", h: reply(200, `{"status":"SUCCESS","data":null}`), kind: KindTransient, code: 200, is: ErrMalformed},
		{name: "200 oversize", h: reply(200, `{"data":{"status":"SUCCESS"}}`+strings.Repeat(" ", 100)), kind: KindTransient, code: 200, is: statusapi.ErrBodyTooLarge, maxBody: 64},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			creds := newServer(t, tt.h)
			c := New(nil)
			c.MaxBody = tt.maxBody
			_, err := c.Status(context.Background(), creds, "chk")
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v, want *Error", err)
			}
			if e.Kind != tt.kind || e.HTTPStatus != tt.code || e.RetryAfter != tt.retryAfter {
				t.Errorf("err = %+v, want kind %v, HTTP %d, retry %v", e, tt.kind, tt.code, tt.retryAfter)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("err = %v, want wrapping %v", err, tt.is)
			}
			assertNoSecrets(t, err)
		})
	}
}

func TestStatusOversizeDefaultLimit(t *testing.T) {
	t.Parallel()
	body := `{"data":{"status":"SUCCESS","pad":"` + strings.Repeat("x", int(DefaultMaxBody)) + `"}}`
	creds := newServer(t, reply(200, body))
	_, err := New(nil).Status(context.Background(), creds, "chk")
	if !errors.Is(err, statusapi.ErrBodyTooLarge) || KindOf(err) != KindTransient {
		t.Fatalf("err = %v, want transient body too large", err)
	}
}

func TestStatusTimeout(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	creds := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	t.Cleanup(func() { close(release) }) // runs before the server's Close
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := New(nil).Status(ctx, creds, "chk")
	if KindOf(err) != KindTransient || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want transient deadline exceeded", err)
	}
	assertNoSecrets(t, err)
}

func TestStatusClientTimeout(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	creds := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	t.Cleanup(func() { close(release) })
	c := &Client{Timeout: 50 * time.Millisecond} // zero value plus a timeout
	_, err := c.Status(context.Background(), creds, "chk")
	if KindOf(err) != KindTransient || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want transient deadline exceeded", err)
	}
}

func TestStatusNetworkError(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	base := srv.URL
	srv.Close() // nothing listens there any more
	_, err := New(nil).Status(context.Background(), Credentials{BaseURL: base}, "chk")
	if KindOf(err) != KindTransient {
		t.Fatalf("err = %v, want transient", err)
	}
}

func TestStatusRetryAfterDate(t *testing.T) {
	t.Parallel()
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	creds := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Date", now.Format(http.TimeFormat))
		w.Header().Set("Retry-After", now.Add(45*time.Second).Format(http.TimeFormat))
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	_, err := New(nil).Status(context.Background(), creds, "chk")
	var e *Error
	if !errors.As(err, &e) || e.RetryAfter != 45*time.Second {
		t.Fatalf("err = %#v, want RetryAfter 45s", err)
	}
}

func TestStatusSuccessRetryAfter(t *testing.T) {
	t.Parallel()
	creds := newServer(t, reply(200, string(readTestdata(t, "status_pending.json")), "Retry-After", "15"))
	res, err := New(nil).Status(context.Background(), creds, "chk")
	if err != nil || res.Status != "PENDING" || res.RetryAfter != 15*time.Second {
		t.Fatalf("Status = %+v, %v", res, err)
	}
}

func TestStatusBadRequest(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, base, id string }{
		{"empty base", "", "chk"},
		{"relative base", "gateway.payunit.net", "chk"},
		{"ftp base", "ftp://gateway.payunit.net", "chk"},
		{"user info", "https://user-secret:password-secret@gateway.payunit.net", "chk"},
		{"query", "https://gateway.payunit.net/?k=v", "chk"},
		{"fragment", "https://gateway.payunit.net/#", "chk"},
		{"empty id", "https://gateway.payunit.net", ""},
		{"dot-dot id", "https://gateway.payunit.net", ".."},
	}
	for _, tt := range tests {
		_, err := New(nil).Status(context.Background(), Credentials{BaseURL: tt.base}, tt.id)
		if KindOf(err) != KindRejected {
			t.Errorf("%s: err = %v, want KindRejected", tt.name, err)
		}
		assertNoSecrets(t, err)
	}
}

// assertNoSecrets fails if err's text holds any of the test credentials.
func assertNoSecrets(t *testing.T, err error) {
	t.Helper()
	basic := base64.StdEncoding.EncodeToString([]byte("user-secret:password-secret"))
	for _, s := range []string{"user-secret", "password-secret", "key-secret", basic} {
		if err != nil && strings.Contains(err.Error(), s) {
			t.Errorf("error %q contains secret %q", err, s)
		}
	}
}
