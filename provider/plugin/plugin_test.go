package plugin

import (
	"strings"
	"testing"
	"time"
)

func TestEndpoint(t *testing.T) {
	t.Parallel()
	d := Descriptor{Name: "acme"}
	for base, want := range map[string]string{
		"https://api.acme.example/v1": "acme api.acme.example",
		"http://127.0.0.1:8081/":      "acme 127.0.0.1:8081",
		"::bad":                       "",
		"":                            "",
	} {
		if got := d.Endpoint(Account{BaseURL: base}); got != want {
			t.Errorf("Endpoint(%q) = %q, want %q", base, got, want)
		}
	}
	if name, host := SplitEndpoint("acme api.acme.example"); name != "acme" || host != "api.acme.example" {
		t.Errorf("SplitEndpoint = %q, %q", name, host)
	}
}

func TestFirstCheckRules(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	if got := AfterGrace(now, time.Minute); !got.Equal(now.Add(time.Minute)) {
		t.Errorf("AfterGrace = %v", got)
	}
	if got := AtOnce(now, time.Minute); !got.Equal(now) {
		t.Errorf("AtOnce = %v", got)
	}
}

func TestCheckCredentials(t *testing.T) {
	t.Parallel()
	errs := CheckCredentials("api_user", "", "api_key", strings.Repeat("k", MaxCredential+1), "tenant_id", "tn")
	want := []FieldError{{"api_user", "is required"}, {"api_key", "must be at most 512 characters"}}
	if len(errs) != len(want) || errs[0] != want[0] || errs[1] != want[1] {
		t.Fatalf("CheckCredentials = %v, want %v", errs, want)
	}
}

func TestTerminal(t *testing.T) {
	t.Parallel()
	for s, want := range map[State]bool{StatePending: false, StateActionRequired: false, "": false,
		StateSucceeded: true, StateFailed: true, StateCancelled: true} {
		if s.Terminal() != want {
			t.Errorf("%q.Terminal() = %v", s, !want)
		}
	}
}
