package azotte

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/paysync/paysync/provider/internal/statusapi/statusapitest"
)

// newServer starts a fake Azotte answering with h, and returns credentials
// pointing at its /api/v1 root.
func newServer(t *testing.T, h http.HandlerFunc) Credentials {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return Credentials{BaseURL: srv.URL + "/api/v1", TenantID: "e2a1c7b2-4f3a-4b8e-9c2d-1a2b3c4d5e6f", APIKey: "sk_dev_secret"}
}

// reply returns a handler answering with code, headers and body.
var reply = statusapitest.Reply

func TestStatusRequest(t *testing.T) {
	t.Parallel()
	done := string(readTestdata(t, "status_done.json"))
	for _, tt := range []struct{ name, id, suffix, wantURI string }{
		{"plain", "trk_01HZ9XPZ3K2A8E0VBVQH7N9XGB", "", "/api/v1/c2a/offer/checkout/trk_01HZ9XPZ3K2A8E0VBVQH7N9XGB/status"},
		{"trailing slash", "trk_1", "/", "/api/v1/c2a/offer/checkout/trk_1/status"},
		{"escaped", "a/b c?d#e%f", "", "/api/v1/c2a/offer/checkout/a%2Fb%20c%3Fd%23e%25f/status"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got *http.Request
			creds := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				got = r
				w.Header().Set("Retry-After", "4")
				w.Write([]byte(done))
			})
			creds.BaseURL += tt.suffix
			res, err := New(nil).Status(context.Background(), creds, tt.id)
			if err != nil {
				t.Fatal(err)
			}
			if res.MessageCode != CodeDone || res.HTTPStatus != 200 || res.RetryAfter != 4*time.Second || res.Wait() != 4*time.Second {
				t.Errorf("result %+v", res)
			}
			if got.Method != http.MethodGet || got.RequestURI != tt.wantURI {
				t.Errorf("request %s %s, want GET %s", got.Method, got.RequestURI, tt.wantURI)
			}
			for k, want := range map[string]string{"X-Tn": creds.TenantID, "X-Api-Key": "sk_dev_secret", "Accept": "application/json"} {
				if v := got.Header.Get(k); v != want {
					t.Errorf("header %s = %q, want %q", k, v, want)
				}
			}
		})
	}
}

func TestStatusErrors(t *testing.T) {
	t.Parallel()
	problem := string(readTestdata(t, "problem_conflict.json"))
	tests := []struct {
		name    string
		h       http.HandlerFunc
		kind    ErrorKind
		code    string
		problem string
		wait    time.Duration
	}{
		{"404 not found", reply(404, string(readTestdata(t, "status_not_found.json"))), KindNotFound, CodeItemNotFound, "", 0},
		{"404 empty", reply(404, ""), KindNotFound, "", "", 0},
		{"409 problem", reply(409, problem, "Content-Type", "application/problem+json"), KindConflict, "",
			"Tracking number trk_01HZ9XPZ3K2A8E0VBVQH7N9XGB belongs to another tenant.", 0},
		{"401", reply(401, `{"title":"Unauthorized","status":401}`), KindAuth, "", "Unauthorized", 0},
		{"403", reply(403, ""), KindAuth, "", "", 0},
		{"429 with retry-after", reply(429, "", "Retry-After", "30"), KindTransient, "", "", 30 * time.Second},
		{"503", reply(503, "<html>down</html>"), KindTransient, "", "", 0},
		{"redirect not followed", reply(302, "", "Location", "https://evil.example/"), KindRejected, "", "", 0},
		{"400", reply(400, ""), KindRejected, "", "", 0},
		{"200 html", reply(200, "<html>ok</html>"), KindTransient, "", "", 0},
		{"200 too large", reply(200, `{"status":{"messageCode":"CHECK_OUT_DONE"},"pad":"`+strings.Repeat("x", 1<<20)+`"}`), KindTransient, "", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			creds := newServer(t, tt.h)
			_, err := New(nil).Status(context.Background(), creds, "trk_1")
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err %v, want *Error", err)
			}
			if e.Kind != tt.kind || e.MessageCode != tt.code || e.RetryAfter != tt.wait {
				t.Fatalf("error %+v", e)
			}
			got := ""
			if e.Problem != nil {
				got = e.Problem.Summary()
			}
			if got != tt.problem {
				t.Fatalf("problem %q, want %q", got, tt.problem)
			}
			if strings.Contains(err.Error(), "sk_dev_secret") {
				t.Fatalf("error leaks the API key: %v", err)
			}
		})
	}
}

func TestStatusBadRequests(t *testing.T) {
	t.Parallel()
	for name, tt := range map[string]struct{ base, id string }{
		"empty id":   {"https://azotte.example/api/v1", ""},
		"dot dot":    {"https://azotte.example/api/v1", ".."},
		"no scheme":  {"azotte.example/api", "trk"},
		"user info":  {"https://user:sk_secret@azotte.example/api", "trk"},
		"with query": {"https://azotte.example/api?x=1", "trk"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := New(nil).Status(context.Background(), Credentials{BaseURL: tt.base}, tt.id)
			var e *Error
			if !errors.As(err, &e) || e.Kind != KindRejected || strings.Contains(err.Error(), "sk_secret") {
				t.Fatalf("err %v", err)
			}
		})
	}
}

func TestStatusTimeout(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	creds := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := New(nil).Status(ctx, creds, "trk_1")
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindTransient {
		t.Fatalf("err %v, want transient", err)
	}
}
