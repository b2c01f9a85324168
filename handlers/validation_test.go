package handlers

import (
	"net/http"
	"slices"
	"testing"
)

// Every invalid field is named in one answer, whatever else is wrong.
func TestValidationListsEveryInvalidField(t *testing.T) {
	h := setup(t)
	_, key := h.merchant("shop.example")
	for _, tc := range []struct {
		name, body string
		fields     []string
	}{
		{"amount among others", `{"provider":"payunit","reference":"","amount":"abc","currency":"XXQ","success_url":"https://evil.example/"}`,
			[]string{"amount", "currency", "reference", "success_url"}},
		{"amount and a return host", `{"provider":"payunit","reference":"r","amount":"-1","currency":"XAF","cancel_url":"https://evil.example/"}`,
			[]string{"amount", "cancel_url"}},
		{"a wrong type and more", `{"provider":"payunit","reference":5,"amount":true,"currency":"XAF","success_url":"/relative"}`,
			[]string{"amount", "reference", "success_url"}},
		{"minor units and provider", `{"provider":"stripe","reference":"r","amount":"10.123456789","currency":"XAF"}`,
			[]string{"amount", "provider"}},
		{"null where the schema says string", `{"provider":"payunit","reference":"r","amount":"10","currency":"XAF","success_url":null,"description":"x","payment_country":"X"}`,
			[]string{"payment_country", "success_url"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			errs := fieldErrors(t, h.request(http.MethodPost, "/v1/checkouts", key, tc.body))
			var got []string
			for f := range errs {
				got = append(got, f)
			}
			slices.Sort(got)
			if !slices.Equal(got, tc.fields) {
				t.Fatalf("fields %v, want %v (%v)", got, tc.fields, errs)
			}
		})
	}
}

// Amounts keep the currency's ISO 4217 minor units and are answered in
// canonical form; spaces are not part of an amount.
func TestAmountsRespectMinorUnits(t *testing.T) {
	h := setup(t)
	_, key := h.merchant()
	for _, tc := range []struct {
		amount   any
		currency string
		want     string // "" = refused
	}{
		{"10.123456789", "XAF", ""},
		{"10.5", "XAF", ""},
		{" 10", "XAF", ""},
		{"10 ", "XAF", ""},
		{"10.00", "XAF", "10"},
		{"0010", "XAF", "10"},
		{10.50, "EUR", "10.5"},
		{"10.505", "EUR", ""},
		{"1.234", "KWD", "1.234"},
	} {
		rec := h.request(http.MethodPost, "/v1/checkouts", key, map[string]any{"provider": "payunit",
			"reference": "ref-" + tc.currency + "-" + jsonString(tc.amount), "amount": tc.amount, "currency": tc.currency})
		if tc.want == "" {
			if errs := fieldErrors(t, rec); errs["amount"] == "" {
				t.Errorf("%v %s: errors %v, want one on amount", tc.amount, tc.currency, errs)
			}
			continue
		}
		wantStatus(t, rec, http.StatusCreated)
		if got := decode(t, rec)["amount"]; got != tc.want {
			t.Errorf("%v %s: amount %v, want %s", tc.amount, tc.currency, got, tc.want)
		}
	}
}

func jsonString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	default:
		return "n"
	}
}

// webhook_url is a string in the OpenAPI file: null is refused (422), not
// taken as "no webhook"; leaving the member out is how to have none.
func TestMerchantNullIsRefused(t *testing.T) {
	h := setup(t)
	errs := fieldErrors(t, h.request(http.MethodPost, "/admin/v1/merchants", testAdminToken,
		`{"name":"acme","webhook_url":null,"payunit":{"base_url":null}}`))
	if _, ok := errs["webhook_url"]; !ok || errs["payunit.base_url"] == "" {
		t.Fatalf("errors %v, want webhook_url and payunit.base_url", errs)
	}
	wantStatus(t, h.request(http.MethodPost, "/admin/v1/merchants", testAdminToken, `{"name":"acme"}`), http.StatusCreated)
}
