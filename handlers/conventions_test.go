package handlers

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/paysync/paysync/internal/testwait"
	"github.com/paysync/paysync/store"
)

// RFC 9110 §9.3.2: HEAD wherever GET is, same status and headers, no body.
func TestHeadWhereverGet(t *testing.T) {
	h := setup(t)
	key, id := h.registered()
	ck, err := h.db.Checkout(t.Context(), merchantOf0(t, h, key), id)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, bearer string }{
		{"/healthz", ""}, {"/readyz", ""}, {"/openapi.yaml", ""}, {"/favicon.ico", ""},
		{"/v1/checkouts/" + id, key}, {"/v1/checkouts?state=pending", key},
		{"/v1/checkouts/" + id + "/events", key}, {"/v1/deliveries", key},
		{"/v1/checkouts/" + id + "?wait=1ms", key},
		{"/v1/checkouts/does-not-exist", key}, {"/v1/checkouts/" + id, ""},
		{"/pay/" + ck.Token + "/status", ""},
	} {
		get := h.request(http.MethodGet, tc.path, tc.bearer, nil)
		head := h.request(http.MethodHead, tc.path, tc.bearer, nil)
		if head.Code != get.Code {
			t.Errorf("HEAD %s: %d, GET %d", tc.path, head.Code, get.Code)
		}
		if head.Body.Len() != 0 {
			t.Errorf("HEAD %s has a body: %q", tc.path, head.Body)
		}
		if cl := head.Header().Get("Content-Length"); get.Code != http.StatusNotModified && cl != strconv.Itoa(get.Body.Len()) {
			t.Errorf("HEAD %s: Content-Length %q, GET's body is %d bytes", tc.path, cl, get.Body.Len())
		}
		for name := range get.Header() {
			if name == "X-Request-Id" {
				continue
			}
			if got, want := head.Header().Values(name), get.Header().Values(name); strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("HEAD %s: %s = %q, GET has %q", tc.path, name, got, want)
			}
		}
	}
	// HEAD of an event stream answers the stream's headers and ends.
	head := h.request(http.MethodHead, "/v1/checkouts/"+id+"/stream", key, nil)
	if head.Code != http.StatusOK || head.Header().Get("Content-Type") != "text/event-stream" || head.Body.Len() != 0 {
		t.Fatalf("HEAD stream: %d %v %q", head.Code, head.Header(), head.Body)
	}
	// If-None-Match applies to HEAD as to GET.
	etag := h.request(http.MethodGet, "/v1/checkouts/"+id, key, nil).Header().Get("ETag")
	wantStatus(t, h.request(http.MethodHead, "/v1/checkouts/"+id, key, nil, "If-None-Match", etag), http.StatusNotModified)
}

// merchantOf0 finds the merchant id of an API key.
func merchantOf0(t *testing.T, h *harness, key string) string {
	t.Helper()
	m, err := h.db.MerchantByAPIKey(t.Context(), key)
	if err != nil {
		t.Fatal(err)
	}
	return m.ID
}

// A wrong method on a known path is 405 with Allow (RFC 9110 §15.5.6),
// under /v1 as elsewhere, before authentication.
func TestWrongMethodIs405WithAllow(t *testing.T) {
	h := setup(t)
	key, id := h.registered()
	for _, tc := range []struct {
		method, path, bearer string
		allow                []string
	}{
		{http.MethodDelete, "/v1/checkouts/" + id, key, []string{"GET", "HEAD", "OPTIONS"}},
		{http.MethodPut, "/v1/checkouts", key, []string{"GET", "HEAD", "POST", "OPTIONS"}},
		{http.MethodPatch, "/v1/checkouts", "", []string{"GET", "HEAD", "POST", "OPTIONS"}},
		{http.MethodGet, "/v1/checkouts/" + id + "/refresh", key, []string{"POST", "OPTIONS"}},
		{http.MethodHead, "/v1/deliveries/msg_x/redeliver", key, []string{"POST", "OPTIONS"}},
		{http.MethodPost, "/healthz", "", []string{"GET", "HEAD", "OPTIONS"}},
		{http.MethodDelete, "/admin/v1/merchants/m", testAdminToken, []string{"GET", "HEAD", "OPTIONS"}},
	} {
		rec := h.request(tc.method, tc.path, tc.bearer, nil)
		if tc.method == http.MethodHead {
			wantStatus(t, rec, http.StatusMethodNotAllowed)
		} else {
			wantProblem(t, rec, http.StatusMethodNotAllowed, "method-not-allowed")
		}
		if got := allowSet(rec.Header().Get("Allow")); got != strings.Join(sorted(tc.allow), ",") {
			t.Errorf("%s %s: Allow %q, want %v", tc.method, tc.path, rec.Header().Get("Allow"), tc.allow)
		}
	}
	// An unknown path under /v1 is still 404.
	wantProblem(t, h.request(http.MethodGet, "/v1/nothing-here", key, nil), http.StatusNotFound, "not-found")
}

// OPTIONS is answered the same way on every route: 204 with Allow, no
// authentication, and no CORS headers even for a preflight (no CORS by
// design: merchant keys are server-side secrets).
func TestOptionsAndNoCORS(t *testing.T) {
	h := setup(t)
	for _, path := range []string{"/v1/checkouts", "/v1/checkouts/ck_1", "/v1/checkouts/ck_1/stream", "/healthz", "/admin/v1/merchants"} {
		for _, headers := range [][]string{nil, {"Origin", "https://shop.example", "Access-Control-Request-Method", "POST",
			"Access-Control-Request-Headers", "authorization"}} {
			rec := h.request(http.MethodOptions, path, "", nil, headers...)
			wantStatus(t, rec, http.StatusNoContent)
			if !strings.Contains(rec.Header().Get("Allow"), "OPTIONS") {
				t.Errorf("OPTIONS %s: Allow %q", path, rec.Header().Get("Allow"))
			}
			for name := range rec.Header() {
				if strings.HasPrefix(strings.ToLower(name), "access-control-") {
					t.Errorf("OPTIONS %s answered CORS header %s", path, name)
				}
			}
		}
	}
	wantProblem(t, h.request(http.MethodOptions, "/v1/nothing-here", "", nil), http.StatusNotFound, "not-found")
	// "OPTIONS *" asks about the server: 204 with the methods it has.
	rec := httptest.NewRecorder()
	h.e.ServeHTTP(rec, httptest.NewRequest(http.MethodOptions, "*", nil))
	if rec.Code != http.StatusNoContent || allowSet(rec.Header().Get("Allow")) != "GET,HEAD,OPTIONS,POST" {
		t.Errorf("OPTIONS *: %d, Allow %q", rec.Code, rec.Header().Get("Allow"))
	}
}

func TestCacheControlOnAuthenticatedAnswers(t *testing.T) {
	h := setup(t)
	m, key := h.merchant()
	id := decode(t, h.checkout(key, "order-cc", "10"))["id"].(string)
	for _, tc := range []struct{ method, path, bearer, want string }{
		{http.MethodGet, "/v1/checkouts/" + id, key, "private, no-cache"},
		{http.MethodGet, "/v1/checkouts", key, "private, no-cache"},
		{http.MethodGet, "/v1/checkouts/unknown", key, "private, no-cache"},
		{http.MethodPost, "/v1/checkouts/" + id + "/refresh", key, "private, no-cache"},
		{http.MethodGet, "/admin/v1/merchants/" + m["id"].(string), testAdminToken, "no-store"},
		{http.MethodGet, "/healthz", "", ""},
	} {
		rec := h.request(tc.method, tc.path, tc.bearer, nil)
		if got := rec.Header().Get("Cache-Control"); got != tc.want {
			t.Errorf("%s %s: Cache-Control %q, want %q", tc.method, tc.path, got, tc.want)
		}
	}
	if rec := h.request(http.MethodGet, "/v1/checkouts/"+id, key, nil); rec.Header().Get("ETag") == "" {
		t.Fatal("no ETag beside Cache-Control")
	}
}

// JSON answers are gzipped for clients that accept it; small ones are not
// worth it and stay plain.
func TestJSONIsCompressed(t *testing.T) {
	h := setup(t)
	_, key := h.merchant()
	for i := range 5 {
		wantStatus(t, h.checkout(key, fmt.Sprintf("order-gz-%d", i), "10"), http.StatusCreated)
	}
	rec := h.request(http.MethodGet, "/v1/checkouts", key, nil, "Accept-Encoding", "gzip")
	wantStatus(t, rec, http.StatusOK)
	if rec.Header().Get("Content-Encoding") != "gzip" || !strings.Contains(rec.Header().Get("Vary"), "Accept-Encoding") {
		t.Fatalf("list not compressed: %v", rec.Header())
	}
	zr, err := gzip.NewReader(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	var page struct{ Data []map[string]any }
	if err := json.NewDecoder(zr).Decode(&page); err != nil || len(page.Data) != 5 {
		t.Fatalf("decompressed list: %d checkouts, %v", len(page.Data), err)
	}
	plain := h.request(http.MethodGet, "/v1/checkouts", key, nil)
	if plain.Header().Get("Content-Encoding") != "" || !json.Valid(plain.Body.Bytes()) {
		t.Fatalf("without Accept-Encoding: %v", plain.Header())
	}
	small := h.request(http.MethodGet, "/healthz", "", nil, "Accept-Encoding", "gzip")
	if small.Header().Get("Content-Encoding") != "" {
		t.Fatalf("a tiny answer was compressed: %v", small.Header())
	}
}

// An event stream asked for with Accept-Encoding: gzip is sent plain and
// each event arrives as it happens, not when a compressor's buffer fills.
func TestStreamIsNotCompressedAndFlushes(t *testing.T) {
	h := setup(t)
	key, id := h.registered()
	resp, stream := h.openStream(h.served().URL+"/v1/checkouts/"+id+"/stream", key, "Accept-Encoding", "gzip")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Encoding") != "" {
		t.Fatalf("stream answered %d %v", resp.StatusCode, resp.Header)
	}
	if f, ck := stream.nextEvent(t); f.id != "1" || ck["id"] != id {
		t.Fatalf("first event %+v", f)
	}
	h.observe(id, store.StateSucceeded, "SUCCESS")
	if f, ck := stream.nextEvent(t); f.id != "2" || ck["state"] != "succeeded" {
		t.Fatalf("second event %+v %v", f, ck)
	}
	if _, err := stream.next(); err != io.EOF {
		t.Fatalf("stream did not end after the terminal event: %v", err)
	}
}

// A long-poll with Accept-Encoding: gzip still returns on the change.
func TestLongPollWithGzip(t *testing.T) {
	h := setup(t)
	key, id := h.registered()
	lp := h.startLongPoll(h.served().URL+"/v1/checkouts/"+id+"?wait=30s&version=1", key)
	testwait.For(t, "the long-poll to wait", func() bool { return h.changes.Subscribers() == 1 })
	h.observe(id, store.StateSucceeded, "SUCCESS")
	resp, body := lp.result(t)
	if resp.StatusCode != http.StatusOK || body["state"] != "succeeded" {
		t.Fatalf("long-poll: %d %v", resp.StatusCode, body)
	}
}

func allowSet(allow string) string {
	var ms []string
	for _, m := range strings.Split(allow, ",") {
		if m = strings.TrimSpace(m); m != "" {
			ms = append(ms, m)
		}
	}
	return strings.Join(sorted(ms), ",")
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}
