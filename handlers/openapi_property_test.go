package handlers

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/paysync/paysync/sandbox"
	"github.com/paysync/paysync/store"
)

// The OpenAPI file says what the server enforces: requests generated from
// its schemas alone (seeded, so a failure replays) are never refused with a
// 422 the schema did not predict, and every answer, its status and its
// body, is one the file describes (kin-openapi validates both against
// handlers/openapi.yaml, JSON Schema 2020-12).
//
// kin-openapi (github.com/getkin/kin-openapi) is the Go library that loads
// and validates OpenAPI 3.1 documents, requests and responses; the values
// are drawn by schemaGen (a seeded generator over the schema's keywords)
// rather than by a generator library, since none reads OpenAPI 3.1 schemas.
func TestOpenAPIPropertyRegistrations(t *testing.T) {
	t.Parallel()
	doc, router := loadOpenAPI(t)
	seed := uint64(24)
	if s := os.Getenv("PAYSYNC_PROPERTY_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	g := &schemaGen{r: rand.New(rand.NewPCG(seed, seed)), uriHost: "shop.example"}
	t.Logf("seed %d (PAYSYNC_PROPERTY_SEED replays one)", seed)

	// A merchant with an account at both providers (a sandbox PayUnit, so
	// that a start gets an answer) and shop.example, the generator's URI
	// host, among its return hosts: the state the schema can't describe.
	h := setup(t, func(c *Config) { c.AllowPrivateURLs = true })
	pu := httptest.NewServer(sandbox.NewPayUnit(sandbox.PayUnitConfig{APIKey: "k", APIUser: "u", APIPassword: "p", Mode: "test"}))
	t.Cleanup(pu.Close)
	m, err := h.db.CreateMerchant(t.Context(), store.NewMerchant{Name: "acme", ReturnHosts: []string{"shop.example"},
		PayUnit: &store.PayUnitAccount{BaseURL: pu.URL, APIUser: "u", APIPassword: "p", APIKey: "k", Mode: "test"},
		Azotte:  &store.AzotteAccount{BaseURL: "https://acme.sandbox.azotte.example/api/v1", TenantID: "tn", APIKey: "sk"}})
	if err != nil {
		t.Fatal(err)
	}
	schemas := doc.Components.Schemas
	statuses := map[int]int{}
	for i := range 120 / raceSlowdown {
		body, err := g.draw(schemas["CheckoutCreate"].Value)
		if err != nil {
			t.Fatalf("CheckoutCreate: %v", err)
		}
		rec := h.request(http.MethodPost, "/v1/checkouts", m.APIKey, body)
		statuses[rec.Code]++
		checkAnswer(t, router, fmt.Sprintf("registration %d", i), http.MethodPost, "/v1/checkouts", m.APIKey, body, rec)
	}
	for i := range 30 / raceSlowdown {
		body, err := g.draw(schemas["MerchantCreate"].Value)
		if err != nil {
			t.Fatalf("MerchantCreate: %v", err)
		}
		rec := h.request(http.MethodPost, "/admin/v1/merchants", testAdminToken, body)
		statuses[rec.Code]++
		checkAnswer(t, router, fmt.Sprintf("merchant %d", i), http.MethodPost, "/admin/v1/merchants", testAdminToken, body, rec)
	}
	t.Logf("answers by status: %v", statuses)
	if total := 150 / raceSlowdown; statuses[http.StatusCreated] < total/2 {
		t.Errorf("only %d of %d schema-valid requests created something: %v", statuses[http.StatusCreated], total, statuses)
	}
}

// checkAnswer fails the test when the answer to a schema-valid request is a
// 422 (the schema should have refused the request), or its status or body
// is not one the operation describes.
func checkAnswer(t *testing.T, router routers.Router, what, method, path, bearer string, body any, rec *httptest.ResponseRecorder) {
	t.Helper()
	raw, _ := json.Marshal(body)
	if rec.Code == http.StatusUnprocessableEntity {
		t.Errorf("%s: 422 for a schema-valid request\n request %s\n answer %s", what, raw, rec.Body)
		return
	}
	req := httptest.NewRequest(method, "http://paysync.test"+path, bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+bearer)
	route, params, err := router.FindRoute(req)
	if err != nil {
		t.Fatalf("%s: route: %v", what, err)
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
	if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
		t.Errorf("%s: the generated request is not valid by the file (a generator bug): %v\n%s", what, err, raw)
	}
	err = openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: rec.Code, Header: rec.Header(), Body: io.NopCloser(bytes.NewReader(rec.Body.Bytes())),
		Options: &openapi3filter.Options{IncludeResponseStatus: true}})
	if err != nil {
		t.Errorf("%s: answer outside the file: %v\n request %s\n answer %d %s", what, err, raw, rec.Code, rec.Body)
	}
}

// loadOpenAPI loads and validates openapi.yaml, with one server (the
// harness's public URL) for its router.
func loadOpenAPI(t *testing.T) (*openapi3.T, routers.Router) {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromFile("openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	doc.Servers = openapi3.Servers{{URL: "http://paysync.test"}}
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return doc, router
}

// The file's currency and country enums are the codes the validator takes
// (iso4217 and known to store.MinorUnits; iso3166_1_alpha2), and the
// amount a currency allows in the file has as many decimals as
// store.MinorUnits says, not one more: the file stays in step with the
// server's tables.
func TestOpenAPICodesMatchTheServer(t *testing.T) {
	t.Parallel()
	doc, _ := loadOpenAPI(t)
	schemas := doc.Components.Schemas
	v := newValidator(false).v
	enumOf := func(name string) []string {
		var out []string
		for _, e := range schemas[name].Value.Enum {
			out = append(out, e.(string))
		}
		slices.Sort(out)
		return out
	}
	var currencies, countries []string
	for _, a := range "ABCDEFGHIJKLMNOPQRSTUVWXYZ" {
		for _, b := range "ABCDEFGHIJKLMNOPQRSTUVWXYZ" {
			if v.Var(string(a)+string(b), "iso3166_1_alpha2") == nil {
				countries = append(countries, string(a)+string(b))
			}
			for _, c := range "ABCDEFGHIJKLMNOPQRSTUVWXYZ" {
				code := string(a) + string(b) + string(c)
				if _, err := store.MinorUnits(code); err == nil && v.Var(code, "iso4217") == nil {
					currencies = append(currencies, code)
				}
			}
		}
	}
	if got := enumOf("Currency"); !slices.Equal(got, currencies) {
		t.Errorf("Currency enum %v,\nthe server takes %v", got, currencies)
	}
	if got := enumOf("Country"); !slices.Equal(got, countries) {
		t.Errorf("Country enum %v,\nthe server takes %v", got, countries)
	}
	// Each currency's amount: the then of the if that names it (or of the
	// one that names none of the others) is AmountN, with N its minor
	// units; AmountN takes N decimals and not N+1.
	groups := map[string]string{} // currency → the AmountN schema its if/then picks
	var rest string
	for _, sub := range schemas["CheckoutCreate"].Value.AllOf {
		c := sub.Value
		if c.If == nil || c.If.Value.Properties["currency"] == nil {
			continue
		}
		amount := c.Then.Value.Properties["amount"].Ref
		cur := c.If.Value.Properties["currency"].Value
		if cur.Not != nil {
			rest = amount
			continue
		}
		for _, e := range cur.Enum {
			groups[e.(string)] = amount
		}
	}
	for _, code := range currencies {
		digits, _ := store.MinorUnits(code)
		ref := cmp.Or(groups[code], rest)
		if want := fmt.Sprintf("#/components/schemas/Amount%d", digits); ref != want {
			t.Errorf("%s (%d minor units): its amount is %q, want %s", code, digits, ref, want)
		}
	}
	for digits := range 5 {
		s, ok := schemas[fmt.Sprintf("Amount%d", digits)]
		if !ok {
			continue
		}
		ok2, over := "7", "7.1"
		if digits > 0 {
			ok2, over = "7."+strings.Repeat("1", digits), "7."+strings.Repeat("1", digits+1)
		}
		if !valid(s.Value, ok2) || valid(s.Value, over) {
			t.Errorf("Amount%d takes %s: %v, %s: %v", digits, ok2, valid(s.Value, ok2), over, valid(s.Value, over))
		}
	}
}
