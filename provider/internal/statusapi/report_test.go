package statusapi

import (
	"testing"
	"time"

	"github.com/paysync/paysync/provider/plugin"
)

// TestFailureReport: only a transient failure without a usable answer
// counts toward the circuit breaker; refused credentials raise an anomaly.
func TestFailureReport(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name              string
		f                 Failed
		unavailable, slow bool
		anomaly           string
	}{
		{"no answer", Failed{Transient: true, Kind: "transient", Detail: "send request"}, true, false, ""},
		{"503", Failed{Transient: true, HTTPStatus: 503}, true, false, ""},
		{"200 garbled", Failed{Transient: true, HTTPStatus: 200}, true, false, ""},
		{"429", Failed{Transient: true, HTTPStatus: 429, RetryAfter: 7 * time.Second}, false, false, ""},
		{"401", Failed{Auth: true, HTTPStatus: 401, Refused: "X refused"}, false, true, plugin.AnomalyCredentials},
		{"400", Failed{Rejected: true, HTTPStatus: 400}, false, true, ""},
	} {
		r := FailureReport(tt.f)
		if r.Unavailable != tt.unavailable || r.SlowDown != tt.slow || r.RetryAfter != tt.f.RetryAfter || r.Failure == "" && tt.f.Detail != "" {
			t.Errorf("%s: %+v", tt.name, r)
		}
		want := (*plugin.Anomaly)(nil)
		if tt.anomaly != "" {
			want = &plugin.Anomaly{Code: tt.anomaly, Detail: "X refused (HTTP 401)"}
		}
		if (r.Anomaly == nil) != (want == nil) || r.Anomaly != nil && *r.Anomaly != *want {
			t.Errorf("%s: anomaly %+v, want %+v", tt.name, r.Anomaly, want)
		}
	}
	if r := NoAnswer(); !r.Unavailable || r.Failure == "" {
		t.Errorf("NoAnswer = %+v", r)
	}
}
