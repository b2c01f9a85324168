package providertest

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"testing"
	"time"

	"github.com/paysync/paysync/provider/plugin"
)

// testDescriptor: every field the registry and the rooms call is set and
// sane.
func testDescriptor(t *testing.T, s Suite) {
	d := s.Descriptor
	if !regexp.MustCompile(`^[a-z][a-z0-9]*$`).MatchString(d.Name) || d.Title == "" {
		t.Errorf("name %q, title %q: want a lower-case name (the API's and the database's) and a title", d.Name, d.Title)
	}
	if d.NewChecker == nil || d.FirstCheck == nil || d.CheckAccount == nil || d.Timeout <= 0 {
		t.Fatalf("NewChecker, FirstCheck, CheckAccount and Timeout are required")
	}
	if errs := d.CheckAccount(s.Account("https://api.example")); len(errs) > 0 {
		t.Errorf("CheckAccount refuses the suite's account: %v", errs)
	}
	if errs := d.CheckAccount(plugin.Account{BaseURL: "https://api.example"}); len(errs) == 0 {
		t.Errorf("CheckAccount accepts an account without credentials")
	}
	now, grace := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC), time.Minute
	if at := d.FirstCheck(now, grace); at.Before(now) || at.After(now.Add(grace)) {
		t.Errorf("FirstCheck(now, %v) = now%+v, want within the grace", grace, at.Sub(now))
	}
	if !d.Registration.NeedsReference && !d.Registration.NeedsProviderRef {
		t.Errorf("Registration needs no identifier: a checkout could name nothing the provider knows")
	}
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	if got := d.Endpoint(s.Account(srv.URL)); got != d.Name+" "+u.Host {
		t.Errorf("Endpoint = %q, want %q", got, d.Name+" "+u.Host)
	}
	if name, host := plugin.SplitEndpoint(d.Endpoint(s.Account(srv.URL))); name != d.Name || host != u.Host {
		t.Errorf("SplitEndpoint = %q, %q", name, host)
	}
}

// testSamples: each recorded answer gives its state, with no failure.
func testSamples(t *testing.T, s Suite) {
	if len(s.Samples) == 0 {
		t.Fatal("no samples: give the seed documents' recorded answers")
	}
	for _, sm := range s.Samples {
		r := check(t, s, reply(http.StatusOK, sm.Body, "Content-Type", "application/json"))
		if r.State != sm.Want || r.Failure != "" || r.Anomaly != nil || r.Unavailable {
			t.Errorf("%s: %+v, want state %q and nothing wrong", sm.Name, r, sm.Want)
		}
	}
}

// testAmbiguous: no ambiguous answer settles the checkout.
func testAmbiguous(t *testing.T, s Suite) {
	if len(s.Ambiguous) == 0 {
		t.Fatal("no ambiguous answers: give the ones the checker must refuse")
	}
	for _, sm := range s.Ambiguous {
		r := check(t, s, reply(http.StatusOK, sm.Body, "Content-Type", "application/json"))
		if r.State.Terminal() && r.Anomaly == nil {
			t.Errorf("%s: settled %s without an anomaly: %+v", sm.Name, r.State, r)
		}
	}
}

// testDuplicateKeys: an answer naming a member twice is refused.
func testDuplicateKeys(t *testing.T, s Suite) {
	if len(s.DuplicateKeys) == 0 {
		t.Fatal("no answers with duplicate keys")
	}
	for _, sm := range s.DuplicateKeys {
		if r := check(t, s, reply(http.StatusOK, sm.Body, "Content-Type", "application/json")); !refused(r) {
			t.Errorf("%s: %+v, want refused", sm.Name, r)
		}
	}
}

// testRetryAfter: the Retry-After header is honoured on an answer, on
// pacing (429, not a failing endpoint) and on an outage (503).
func testRetryAfter(t *testing.T, s Suite) {
	r := check(t, s, reply(http.StatusOK, s.Samples[0].Body, "Content-Type", "application/json", "Retry-After", "9"))
	if r.RetryAfter < 9*time.Second || r.State != s.Samples[0].Want {
		t.Errorf("200 with Retry-After 9: %+v, want the state and at least 9s", r)
	}
	r = check(t, s, reply(http.StatusTooManyRequests, nil, "Retry-After", "7"))
	if r.RetryAfter != 7*time.Second || r.Unavailable || !refused(r) {
		t.Errorf("429 with Retry-After 7: %+v, want 7s, refused, not unavailable", r)
	}
	r = check(t, s, reply(http.StatusServiceUnavailable, []byte("<html>down</html>"), "Retry-After", "3"))
	if r.RetryAfter != 3*time.Second || !r.Unavailable || !refused(r) {
		t.Errorf("503 with Retry-After 3: %+v, want 3s and unavailable", r)
	}
}

// testBoundedRead: a body over the read bound is refused as no usable
// answer, however well it starts.
func testBoundedRead(t *testing.T, s Suite) {
	huge := append(bytes.Clone(s.Samples[0].Body), bytes.Repeat([]byte(" "), 2<<20)...)
	if r := check(t, s, reply(http.StatusOK, huge, "Content-Type", "application/json")); !refused(r) || !r.Unavailable {
		t.Errorf("a %d-byte body: %+v, want refused and unavailable", len(huge), r)
	}
}

// testErrors: what counts toward the circuit breaker (no usable answer)
// and what doesn't (a 4xx verdict), and what slows a checkout down.
func testErrors(t *testing.T, s Suite) {
	for _, tt := range []struct {
		name        string
		h           http.Handler
		unavailable bool
	}{
		{"500", reply(http.StatusInternalServerError, []byte(`{}`)), true},
		{"502 html", reply(http.StatusBadGateway, []byte("<html><body>Bad Gateway</body></html>"), "Content-Type", "text/html"), true},
		{"200 html", reply(http.StatusOK, []byte("<html>maintenance</html>"), "Content-Type", "text/html"), true},
		{"200 truncated", reply(http.StatusOK, s.Samples[0].Body[:len(s.Samples[0].Body)/2]), true},
		{"200 empty", reply(http.StatusOK, nil), true},
		{"400", reply(http.StatusBadRequest, []byte(`{}`)), false},
		{"404", reply(http.StatusNotFound, []byte(`{}`)), false},
		{"302", reply(http.StatusFound, nil, "Location", "https://elsewhere.example/"), false},
	} {
		if r := check(t, s, tt.h); !refused(r) || r.Unavailable != tt.unavailable {
			t.Errorf("%s: %+v, want refused, unavailable %v", tt.name, r, tt.unavailable)
		}
	}
	for _, code := range []int{http.StatusUnauthorized, http.StatusForbidden} {
		r := check(t, s, reply(code, []byte(`{}`)))
		if !refused(r) || r.Unavailable || !r.SlowDown || r.Anomaly == nil || r.Anomaly.Code != plugin.AnomalyCredentials {
			t.Errorf("%d: %+v, want credentials_rejected and a slow-down", code, r)
		}
	}
	if r := check(t, s, reply(http.StatusBadRequest, []byte(`{}`))); !r.SlowDown {
		t.Errorf("400: %+v, want a slow-down (retrying will not help)", r)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if r := checkCtx(ctx, t, s, reply(http.StatusOK, s.Samples[0].Body)); !refused(r) || !r.Unavailable {
		t.Errorf("no answer: %+v, want refused and unavailable", r)
	}
}

// testCallbacks: each recorded callback names what it should; a body that
// isn't one is ErrMalformed, one naming nothing ErrNoIdentifier.
func testCallbacks(t *testing.T, s Suite) {
	parse := s.Descriptor.ParseCallback
	if parse == nil {
		if len(s.Callbacks) > 0 {
			t.Fatal("callback samples for a provider without ParseCallback")
		}
		return
	}
	if len(s.Callbacks) == 0 {
		t.Fatal("no callback samples for a provider that sends callbacks")
	}
	for _, cb := range s.Callbacks {
		got, err := parse(cb.ContentType, cb.Body, nil)
		if err != nil || got != cb.Want {
			t.Errorf("%s: %+v, %v; want %+v", cb.Name, got, err, cb.Want)
		}
	}
	if _, err := parse("application/json", []byte(`{"transaction_id":`), nil); !errors.Is(err, plugin.ErrMalformed) {
		t.Errorf("truncated JSON: %v, want ErrMalformed", err)
	}
	if _, err := parse("application/json", []byte(`{"status":"SUCCESS"}`), nil); !errors.Is(err, plugin.ErrNoIdentifier) {
		t.Errorf("a callback naming nothing: %v, want ErrNoIdentifier", err)
	}
	if _, err := parse("application/json", []byte(`{"transaction_id":"a","transaction_id":"b"}`), nil); err == nil {
		t.Errorf("a callback naming transaction_id twice was accepted")
	}
}
