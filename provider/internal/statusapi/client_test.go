package statusapi

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

// testEndpoint is the status API of the tests' fake provider.
var testEndpoint = Endpoint{Prefix: "/status/", IDName: "id"}

// get starts a server answering with h and sends one GET to it through c.
func get(t *testing.T, ctx context.Context, c Client, h http.HandlerFunc) (Response, *Failure) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return c.Get(ctx, func(ctx context.Context) (*http.Request, error) {
		return testEndpoint.NewRequest(ctx, srv.URL, "x")
	})
}

// reply returns a handler answering with code, headers and body.
var reply = statusapitest.Reply

func TestGetSuccess(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		h       http.HandlerFunc
		maxBody int64
		code    int
		body    string
		wait    time.Duration
	}{
		{name: "200", h: reply(200, `{"a":1}`, "Retry-After", "15"), code: 200, body: `{"a":1}`, wait: 15 * time.Second},
		{name: "204 empty", h: reply(204, ``), code: 204},
		{name: "at the limit", h: reply(200, strings.Repeat("x", 64)), maxBody: 64, code: 200, body: strings.Repeat("x", 64)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, f := get(t, context.Background(), Client{MaxBody: tt.maxBody}, tt.h)
			if f != nil {
				t.Fatalf("failure %+v", f)
			}
			if r.StatusCode != tt.code || string(r.Body) != tt.body || r.RetryAfter != tt.wait {
				t.Errorf("response = %d %.40q retry %v, want %d %.40q retry %v",
					r.StatusCode, r.Body, r.RetryAfter, tt.code, tt.body, tt.wait)
			}
		})
	}
}

func TestGetFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		h       http.HandlerFunc
		maxBody int64
		want    Failure
		is      error
	}{
		{name: "302 not followed", h: reply(302, `moved`, "Location", "/elsewhere"),
			want: Failure{Class: Rejected, HTTPStatus: 302, Detail: "unexpected redirect", Body: []byte("moved")}},
		{name: "404 body kept", h: reply(404, `{"m":"gone"}`),
			want: Failure{Class: NotFound, HTTPStatus: 404, Detail: "not found", Body: []byte(`{"m":"gone"}`)}},
		{name: "429 retry-after", h: reply(429, ``, "Retry-After", "30"),
			want: Failure{Class: Transient, HTTPStatus: 429, RetryAfter: 30 * time.Second, Detail: "rate limited", Body: []byte{}}},
		{name: "503 oversize body dropped", h: reply(503, strings.Repeat("x", 65), "Retry-After", "120"), maxBody: 64,
			want: Failure{Class: Transient, HTTPStatus: 503, RetryAfter: 2 * time.Minute, Detail: "server error"}},
		{name: "200 over the limit", h: reply(200, strings.Repeat("x", 65), "Retry-After", "5"), maxBody: 64,
			want: Failure{Class: Transient, HTTPStatus: 200, RetryAfter: 5 * time.Second, Detail: "read body"}, is: ErrBodyTooLarge},
		{name: "200 over the default limit", h: reply(200, strings.Repeat("x", int(DefaultMaxBody)+1)),
			want: Failure{Class: Transient, HTTPStatus: 200, Detail: "read body"}, is: ErrBodyTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, f := get(t, context.Background(), Client{MaxBody: tt.maxBody}, tt.h)
			if f == nil {
				t.Fatal("no failure")
			}
			if f.Class != tt.want.Class || f.HTTPStatus != tt.want.HTTPStatus || f.RetryAfter != tt.want.RetryAfter ||
				f.Detail != tt.want.Detail || string(f.Body) != string(tt.want.Body) || (f.Body == nil) != (tt.want.Body == nil) {
				t.Errorf("failure = %+v, want %+v", f, tt.want)
			}
			if (tt.is == nil) != (f.Err == nil) || !errors.Is(f.Err, tt.is) {
				t.Errorf("Err = %v, want wrapping %v", f.Err, tt.is)
			}
		})
	}
}

func TestGetRetryAfterDateUsesNow(t *testing.T) {
	t.Parallel()
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	at := now.Add(45 * time.Second).Format(http.TimeFormat)
	_, f := get(t, context.Background(), Client{Now: func() time.Time { return now }}, func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Date"] = nil // no Date header: relative to Client.Now
		w.Header().Set("Retry-After", at)
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	if f == nil || f.RetryAfter != 45*time.Second {
		t.Fatalf("failure = %+v, want RetryAfter 45s", f)
	}
}

func TestGetRequest(t *testing.T) {
	t.Parallel()
	var got *http.Request
	if _, f := get(t, context.Background(), Client{}, func(w http.ResponseWriter, r *http.Request) { got = r }); f != nil {
		t.Fatalf("failure %+v", f)
	}
	if got.Method != http.MethodGet || got.RequestURI != "/status/x" || got.Header.Get("Accept") != "application/json" {
		t.Errorf("request = %s %s Accept %q", got.Method, got.RequestURI, got.Header.Get("Accept"))
	}
}

func TestGetBuildFailure(t *testing.T) {
	t.Parallel()
	_, f := Client{}.Get(context.Background(), func(ctx context.Context) (*http.Request, error) {
		return testEndpoint.NewRequest(ctx, "ftp://p.example", "x")
	})
	if f == nil || f.Class != Rejected || f.Detail != "build request" || f.Err == nil || f.HTTPStatus != 0 {
		t.Fatalf("failure = %+v, want Rejected build request", f)
	}
}

// hang is a handler that answers only once the request is cancelled.
func hang(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }

func TestGetTimeout(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	for name, tc := range map[string]struct {
		ctx context.Context
		c   Client
	}{
		"Client.Timeout":   {context.Background(), Client{Timeout: 50 * time.Millisecond}},
		"context deadline": {ctx, Client{}},
	} {
		_, f := get(t, tc.ctx, tc.c, hang)
		if f == nil || f.Class != Transient || f.Detail != "send request" || !errors.Is(f.Err, context.DeadlineExceeded) {
			t.Errorf("%s: failure = %+v, want Transient send request, deadline exceeded", name, f)
		}
	}
}

func TestGetNetworkError(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close() // nothing listens there any more
	_, f := Client{}.Get(context.Background(), func(ctx context.Context) (*http.Request, error) {
		return testEndpoint.NewRequest(ctx, srv.URL, "x")
	})
	if f == nil || f.Class != Transient || f.Detail != "send request" || f.Err == nil {
		t.Fatalf("failure = %+v, want Transient send request", f)
	}
}

func TestMalformed(t *testing.T) {
	t.Parallel()
	cause := errors.New("bad json")
	f := Response{StatusCode: 200, RetryAfter: time.Second, Body: []byte("{")}.Malformed(cause)
	if f.Class != Transient || f.HTTPStatus != 200 || f.RetryAfter != time.Second ||
		f.Detail != "malformed status response" || f.Err != cause || f.Body != nil {
		t.Fatalf("Malformed = %+v", f)
	}
}

func TestNewHTTPClient(t *testing.T) {
	t.Parallel()
	c := NewHTTPClient()
	if c.Timeout != DefaultTimeout || c.CheckRedirect(nil, nil) != http.ErrUseLastResponse {
		t.Fatalf("client = %+v, want DefaultTimeout and no redirects", c)
	}
}
