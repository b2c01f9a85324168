package handlers

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
)

// TestOpenAPIDescribesTheThrottle: once an address has failed
// authentication too often, every operation that takes a bearer
// credential answers it 429 with Retry-After, and openapi.yaml describes
// that answer (status, header and problem body) for each of them. Before,
// the file listed no 429 outside the callback route, so a client
// generated from it had no branch for the throttle.
func TestOpenAPIDescribesTheThrottle(t *testing.T) {
	t.Parallel()
	doc, router := loadOpenAPI(t)
	h := setup(t)
	_, key := h.merchant()
	const addr = "203.0.113.9:4000"
	send := func(method, path, bearer string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, strings.NewReader("{}"))
		req.RemoteAddr = addr
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+bearer)
		rec := httptest.NewRecorder()
		h.e.ServeHTTP(rec, req)
		return rec
	}
	for i := range 20 {
		wantStatus(t, send(http.MethodGet, "/v1/checkouts", fmt.Sprintf("psk_guess%d", i)), http.StatusUnauthorized)
	}
	checked := 0
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.Security == nil || !takesBearer(*op.Security) {
				continue
			}
			concrete := strings.NewReplacer("{id}", "x1", "{token}", "x1").Replace(path)
			bearer := key
			if strings.HasPrefix(path, "/admin/") {
				bearer = testAdminToken
			}
			rec := send(method, concrete, bearer)
			what := method + " " + path
			if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") == "" {
				t.Errorf("%s from a throttled address: %d (Retry-After %q), want 429 with Retry-After", what, rec.Code, rec.Header().Get("Retry-After"))
				continue
			}
			req := httptest.NewRequest(method, "http://paysync.test"+concrete, strings.NewReader("{}"))
			route, params, err := router.FindRoute(req)
			if err != nil {
				t.Fatalf("%s: route: %v", what, err)
			}
			in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route}
			if err := openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
				RequestValidationInput: in, Status: rec.Code, Header: rec.Header(), Body: io.NopCloser(bytes.NewReader(rec.Body.Bytes())),
				Options: &openapi3filter.Options{IncludeResponseStatus: true}}); err != nil {
				t.Errorf("%s: the throttle's answer is outside the file: %v", what, err)
			}
			checked++
		}
	}
	if checked < 10 {
		t.Fatalf("only %d bearer operations checked; the file lists more", checked)
	}
}

// takesBearer reports whether a security requirement names one of the
// bearer schemes the auth throttle guards (the API key, the admin token).
func takesBearer(reqs openapi3.SecurityRequirements) bool {
	for _, r := range reqs {
		for name := range r {
			if name == "apiKey" || name == "adminToken" {
				return true
			}
		}
	}
	return false
}
