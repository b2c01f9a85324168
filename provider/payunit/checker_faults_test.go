package payunit

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/paysync/paysync/provider/plugin"
	"github.com/paysync/paysync/sandbox"
)

// TestFaultsClassified checks which sandbox faults count toward the
// circuit breaker: no usable answer does, a 4xx verdict does not.
func TestFaultsClassified(t *testing.T) {
	t.Parallel()
	pu := sandbox.NewPayUnit(sandbox.PayUnitConfig{APIKey: "k", APIUser: "u", APIPassword: "p", Mode: "test"})
	srv := httptest.NewServer(pu)
	t.Cleanup(srv.Close)
	pu.Create(sandbox.Payment{TransactionID: "txn", Amount: "10", Currency: "XAF"})
	acct := plugin.Account{BaseURL: srv.URL, APIUser: "u", APIPassword: "p", APIKey: "k", Mode: "test"}
	pc := Checker{Client: &Client{HTTP: srv.Client(), Timeout: 100 * time.Millisecond}}
	for _, tt := range []struct {
		name        string
		faults      sandbox.Faults
		unavailable bool
	}{
		{"no fault", sandbox.Faults{}, false},
		{"timeout", sandbox.Faults{TimeoutRate: 1}, true},
		{"slow body past the timeout", sandbox.Faults{SlowBodyRate: 1, SlowBodyPause: time.Hour}, true},
		{"503 html", sandbox.Faults{Status5xxRate: 1}, true},
		{"502 html", sandbox.Faults{BadGatewayRate: 1}, true},
		{"200 html", sandbox.Faults{HTMLRate: 1}, true},
		{"malformed json", sandbox.Faults{MalformedRate: 1}, true},
		{"429", sandbox.Faults{Status429Rate: 1, RetryAfter: 3}, false},
	} {
		pu.SetFaults(tt.faults)
		r := pc.Check(t.Context(), acct, plugin.Checkout{Reference: "txn"})
		if r.Unavailable != tt.unavailable {
			t.Errorf("%s: Unavailable = %v (failure %q)", tt.name, r.Unavailable, r.Failure)
		}
		if (tt.name == "no fault") != (r.Failure == "") {
			t.Errorf("%s: failure %q", tt.name, r.Failure)
		}
	}
	wrong := acct
	wrong.APIKey = "revoked"
	pu.SetFaults(sandbox.Faults{})
	if r := pc.Check(t.Context(), wrong, plugin.Checkout{Reference: "txn"}); r.Unavailable || r.Failure == "" {
		t.Errorf("401: Unavailable = %v failure %q, want a failure that is not unavailability", r.Unavailable, r.Failure)
	}
}
