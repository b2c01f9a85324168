package providers_test

import (
	"testing"

	"github.com/paysync/paysync/providers"
	"github.com/paysync/paysync/store"
)

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
	} {
		if got := providers.Endpoint(tt.provider, tt.m); got != tt.want {
			t.Errorf("%s %+v: %q, want %q", tt.provider, tt.m, got, tt.want)
		}
	}
}
