package providers_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/paysync/paysync/provider/plugin"
	"github.com/paysync/paysync/providers"
	"github.com/paysync/paysync/store"
)

// TestEndpoint: the circuit breaker's key of a check is the provider and
// the host of the merchant's base URL there, "" when it has none.
func TestEndpoint(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		provider string
		m        store.Merchant
		want     string
	}{
		{store.ProviderPayUnit, store.Merchant{PayUnit: &store.PayUnitAccount{BaseURL: "https://gateway.payunit.net"}}, "payunit gateway.payunit.net"},
		{store.ProviderPayUnit, store.Merchant{PayUnit: &store.PayUnitAccount{BaseURL: "http://127.0.0.1:8081/"}}, "payunit 127.0.0.1:8081"},
		{store.ProviderAzotte, store.Merchant{Azotte: &store.AzotteAccount{BaseURL: "https://acme.sandbox.azotte.com/api/v1"}}, "azotte acme.sandbox.azotte.com"},
		{store.ProviderAzotte, store.Merchant{PayUnit: &store.PayUnitAccount{BaseURL: "https://x"}}, ""},
		{store.ProviderPayUnit, store.Merchant{PayUnit: &store.PayUnitAccount{BaseURL: "::bad"}}, ""},
		{"nobody", store.Merchant{PayUnit: &store.PayUnitAccount{BaseURL: "https://x"}}, ""},
	} {
		if got := providers.Endpoint(tt.provider, tt.m); got != tt.want {
			t.Errorf("%s %+v: %q, want %q", tt.provider, tt.m, got, tt.want)
		}
	}
}

// TestRegistry: every provider is listed once under the name the store
// uses, and found by it.
func TestRegistry(t *testing.T) {
	t.Parallel()
	names := providers.Names()
	if !slices.Equal(names, []string{store.ProviderPayUnit, store.ProviderAzotte}) {
		t.Fatalf("Names() = %v", names)
	}
	for _, name := range names {
		p, ok := providers.Lookup(name)
		if !ok || p.Name != name {
			t.Errorf("Lookup(%q) = %q, %v", name, p.Name, ok)
		}
	}
	if _, ok := providers.Lookup("nobody"); ok {
		t.Error("Lookup found an unregistered provider")
	}
}

// TestEveryProviderRunsTheKit: each registered provider's package runs
// the provider test kit (provider/providertest) from a test.
func TestEveryProviderRunsTheKit(t *testing.T) {
	t.Parallel()
	for _, name := range providers.Names() {
		b, err := os.ReadFile(filepath.Join("..", "provider", name, "kit_test.go"))
		if err != nil || !strings.Contains(string(b), "providertest.Run(") {
			t.Errorf("provider/%s/kit_test.go does not run providertest.Run (%v)", name, err)
		}
	}
}

// TestAccounts: the registry finds each provider's account on a merchant,
// and a checker of a merchant without one reports it without a call.
func TestAccounts(t *testing.T) {
	t.Parallel()
	m := store.Merchant{
		PayUnit: &store.PayUnitAccount{BaseURL: "https://pu.example", APIUser: "u", APIPassword: "p", APIKey: "k", Mode: "live"},
		Azotte:  &store.AzotteAccount{BaseURL: "https://az.example/api/v1", TenantID: "tn", APIKey: "ak"},
	}
	want := map[string]plugin.Account{
		store.ProviderPayUnit: {BaseURL: "https://pu.example", APIUser: "u", APIPassword: "p", APIKey: "k", Mode: "live"},
		store.ProviderAzotte:  {BaseURL: "https://az.example/api/v1", TenantID: "tn", APIKey: "ak"},
	}
	for _, p := range providers.All() {
		if got, ok := p.Account(m); !ok || got != want[p.Name] {
			t.Errorf("%s: account %+v, %v; want %+v", p.Name, got, ok, want[p.Name])
		}
		if _, ok := p.Account(store.Merchant{}); ok {
			t.Errorf("%s: an account on a merchant without one", p.Name)
		}
		r := p.Checker(nil).Check(t.Context(), store.Merchant{}, store.Checkout{Reference: "r", ProviderRef: "pr"})
		if r.Failure != "merchant has no "+p.Title+" account" || !r.SlowDown {
			t.Errorf("%s: check without an account: %+v", p.Name, r)
		}
	}
}
