package statusapi

import (
	"context"
	"strings"
	"testing"
)

func TestEndpointURL(t *testing.T) {
	t.Parallel()
	e := Endpoint{Prefix: "/checkout/", Suffix: "/status", IDName: "tracking id"}
	tests := []struct{ name, base, id, want string }{
		{"plain", "https://p.example", "trk_1", "https://p.example/checkout/trk_1/status"},
		{"http", "http://127.0.0.1:8080", "trk_1", "http://127.0.0.1:8080/checkout/trk_1/status"},
		{"trailing slashes", "https://p.example/api//", "a", "https://p.example/api/checkout/a/status"},
		{"escaped", "https://p.example", "a/b c?d#e%f", "https://p.example/checkout/a%2Fb%20c%3Fd%23e%25f/status"},
	}
	for _, tt := range tests {
		if got, err := e.URL(tt.base, tt.id); err != nil || got != tt.want {
			t.Errorf("%s: URL = %q, %v; want %q", tt.name, got, err, tt.want)
		}
	}
}

func TestEndpointURLErrors(t *testing.T) {
	t.Parallel()
	e := Endpoint{Prefix: "/checkout/", IDName: "checkout id"}
	tests := []struct{ name, base, id, want string }{
		{"empty id", "https://p.example", "", "invalid checkout id"},
		{"dot id", "https://p.example", ".", "invalid checkout id"},
		{"dot-dot id", "https://p.example", "..", "invalid checkout id"},
		{"unparsable", "https://p.example/%zz-secret", "x", "unparsable"},
		{"empty base", "", "x", "not an absolute"},
		{"relative", "p.example/secret", "x", "not an absolute"},
		{"ftp", "ftp://p.example/secret", "x", "not an absolute"},
		{"user info", "https://user:secret@p.example", "x", "user info"},
		{"query", "https://p.example/?k=secret", "x", "query"},
		{"fragment", "https://p.example/#secret", "x", "fragment"},
	}
	for _, tt := range tests {
		_, err := e.URL(tt.base, tt.id)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want one saying %q", tt.name, err, tt.want)
		}
		if _, rerr := e.NewRequest(context.Background(), tt.base, tt.id); rerr == nil {
			t.Errorf("%s: NewRequest made a request", tt.name)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("%s: error %q quotes the base URL", tt.name, err)
		}
	}
}

func TestNewPost(t *testing.T) {
	t.Parallel()
	req, err := NewPost(context.Background(), "https://p.example/api//", "/start", []byte(`{"a":1}`), "x-api-key", "k")
	if err != nil {
		t.Fatal(err)
	}
	if req.Method != "POST" || req.URL.String() != "https://p.example/api/start" || req.Header.Get("Content-Type") != "application/json" ||
		req.Header.Get("Accept") != "application/json" || req.Header.Get("x-api-key") != "k" || req.ContentLength != 7 {
		t.Errorf("request %s %s %v (%d bytes)", req.Method, req.URL, req.Header, req.ContentLength)
	}
	for _, base := range []string{"ftp://p.example", "https://user:secret@p.example", "https://p.example/?k=secret", ""} {
		if _, err := NewPost(context.Background(), base, "/start", nil); err == nil || strings.Contains(err.Error(), "secret") {
			t.Errorf("NewPost(%q): %v, want an error that doesn't quote the base URL", base, err)
		}
	}
}
