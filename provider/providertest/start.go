package providertest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/paysync/paysync/provider/plugin"
)

// StartSuite is what a provider that starts payments (Descriptor.Start)
// gives the kit.
type StartSuite struct {
	// Request is the payment the kit starts.
	Request plugin.StartRequest
	// Answers are recorded answers of the provider's start call, each
	// with the outcome it means; at least one StartOK and one
	// StartRefused.
	Answers []StartSample
}

// StartSample is one answer of a provider's start call.
type StartSample struct {
	Name string
	Code int // the HTTP status
	Body []byte
	Want plugin.StartOutcome
}

// testStart: a provider that starts payments understands its recorded
// answers, gives a pay URL only when it started, and reports every
// answer that isn't one (no answer, 5xx, HTML, truncated, oversized) as
// unknown, never as a refusal: the provider may have created the payment.
func testStart(t *testing.T, s Suite) {
	switch {
	case s.Descriptor.Start == nil && s.Start != nil:
		t.Fatal("a StartSuite for a provider without Start")
	case s.Descriptor.Start == nil:
		return
	case s.Start == nil || !hasOutcomes(s.Start.Answers, plugin.StartOK, plugin.StartRefused):
		t.Fatal("a provider with Start needs a StartSuite with answers that start and answers that refuse")
	}
	var ok []byte
	for _, a := range s.Start.Answers {
		got := start(t.Context(), t, s, reply(a.Code, a.Body, "Content-Type", "application/json"))
		if got.Outcome != a.Want || (got.PayURL != "") != (a.Want == plugin.StartOK) {
			t.Errorf("%s: %+v, want %s, a pay URL only when started", a.Name, got, a.Want)
		}
		if a.Want == plugin.StartOK && ok == nil {
			ok = a.Body
		}
	}
	for _, tt := range []struct {
		name string
		h    http.Handler
		want plugin.StartOutcome
	}{
		{"500", reply(http.StatusInternalServerError, []byte(`{}`)), plugin.StartUnknown},
		{"502 html", reply(http.StatusBadGateway, []byte("<html>Bad Gateway</html>"), "Content-Type", "text/html"), plugin.StartUnknown},
		{"200 html", reply(http.StatusOK, []byte("<html>maintenance</html>"), "Content-Type", "text/html"), plugin.StartUnknown},
		{"200 truncated", reply(http.StatusOK, ok[:len(ok)/2]), plugin.StartUnknown},
		{"200 empty", reply(http.StatusOK, nil), plugin.StartUnknown},
		{"200 over the read bound", reply(http.StatusOK, append(append([]byte{}, ok...), make([]byte, 2<<20)...)), plugin.StartUnknown},
		{"429", reply(http.StatusTooManyRequests, nil, "Retry-After", "5"), plugin.StartUnknown},
		{"400", reply(http.StatusBadRequest, []byte(`{}`)), plugin.StartRefused},
	} {
		got := start(t.Context(), t, s, tt.h)
		if got.Outcome != tt.want || got.PayURL != "" {
			t.Errorf("%s: %+v, want %s without a pay URL", tt.name, got, tt.want)
		}
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if got := start(ctx, t, s, reply(http.StatusOK, ok)); got.Outcome != plugin.StartUnknown || got.PayURL != "" {
		t.Errorf("no answer: %+v, want unknown", got)
	}
	var method string
	start(t.Context(), t, s, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { method = r.Method; w.Write(ok) }))
	if method != http.MethodPost {
		t.Errorf("the start call is a %s, want a POST", method)
	}
}

// hasOutcomes reports whether answers hold each outcome.
func hasOutcomes(answers []StartSample, outcomes ...plugin.StartOutcome) bool {
	for _, o := range outcomes {
		found := false
		for _, a := range answers {
			found = found || a.Want == o
		}
		if !found {
			return false
		}
	}
	return true
}

// start starts s.Start.Request with the provider's default client, its
// start call answering with h.
func start(ctx context.Context, t *testing.T, s Suite, h http.Handler) plugin.Started {
	t.Helper()
	srv := httptest.NewServer(h)
	defer srv.Close()
	return s.Descriptor.Start(ctx, nil, s.Account(srv.URL), s.Start.Request)
}
