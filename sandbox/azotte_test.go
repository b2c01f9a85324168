package sandbox

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// azotteSetup starts a fake Azotte behind an httptest server.
func azotteSetup(t *testing.T) (*Azotte, *httptest.Server) {
	t.Helper()
	az := NewAzotte(AzotteOptions{TenantID: "tn_1", APIKey: "sk_1", Clock: NewClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))})
	srv := httptest.NewServer(az)
	t.Cleanup(srv.Close)
	return az, srv
}

// noRedirects is a client that shows redirects instead of following them.
func noRedirects(srv *httptest.Server) *http.Client {
	c := *srv.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

type azotteAnswer struct {
	code   int
	header http.Header
	body   map[string]any
	raw    string
}

// messageCode returns status.messageCode of the answer.
func (a azotteAnswer) messageCode() string {
	s, _ := a.body["status"].(map[string]any)
	code, _ := s["messageCode"].(string)
	return code
}

func getAzotteStatus(t *testing.T, srv *httptest.Server, tracking, tenant, key string) azotteAnswer {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+"/api/v1/c2a/offer/checkout/"+url.PathEscape(tracking)+"/status", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("x-tn", tenant)
	req.Header.Set("x-api-key", key)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := azotteAnswer{code: resp.StatusCode, header: resp.Header, raw: string(raw)}
	if err := json.Unmarshal(raw, &a.body); err != nil {
		t.Fatalf("status answer %q: %v", raw, err)
	}
	return a
}

func TestAzotteStatusAuthAndNotFound(t *testing.T) {
	t.Parallel()
	az, srv := azotteSetup(t)
	trk := az.Create(AzotteCheckout{})
	if !strings.HasPrefix(trk, "trk_") {
		t.Fatalf("tracking number %q", trk)
	}
	for _, creds := range [][2]string{{"tn_1", "wrong"}, {"other", "sk_1"}, {"", ""}} {
		a := getAzotteStatus(t, srv, trk, creds[0], creds[1])
		if a.code != http.StatusUnauthorized || a.header.Get("Content-Type") != "application/problem+json" ||
			a.body["status"] != float64(401) || a.body["title"] == nil {
			t.Fatalf("wrong credentials %v: %d %s", creds, a.code, a.raw)
		}
	}
	if az.Checks(trk) != 3 {
		t.Fatalf("checks %d, want 3 (auth failures count)", az.Checks(trk))
	}
	a := getAzotteStatus(t, srv, "trk_unknown", "tn_1", "sk_1")
	if a.code != http.StatusNotFound || a.messageCode() != "ORDERED_ITEM_NOT_FOUND" {
		t.Fatalf("unknown: %d %s", a.code, a.raw)
	}
}

func TestAzotteScenarios(t *testing.T) {
	t.Parallel()
	az, srv := azotteSetup(t)
	tests := []struct {
		c     AzotteCheckout
		codes []string // status answers in order; "404" and "409" for those
	}{
		{AzotteCheckout{Scenario: AzotteDone, ProcessingChecks: 2}, []string{"CHECK_OUT_PROCESSING", "CHECK_OUT_PROCESSING", "CHECK_OUT_DONE", "CHECK_OUT_DONE"}},
		{AzotteCheckout{Scenario: AzotteFailed, ProcessingChecks: 1}, []string{"CHECK_OUT_PROCESSING", "CHECK_OUT_FAILED"}},
		{AzotteCheckout{Scenario: AzotteNotFoundThenFound, ProcessingChecks: 2}, []string{"404", "404", "CHECK_OUT_DONE"}},
		{AzotteCheckout{Scenario: AzotteConflict}, []string{"409", "409"}},
		{AzotteCheckout{Scenario: AzotteNever}, []string{"CHECK_OUT_PROCESSING", "CHECK_OUT_PROCESSING", "CHECK_OUT_PROCESSING"}},
		{AzotteCheckout{Scenario: Azotte3DS, ProcessingChecks: 1}, []string{"CHECK_OUT_PROCESSING", "CHECK_OUT_3DS_REQUIRED", "CHECK_OUT_3DS_REQUIRED"}},
	}
	for _, tt := range tests {
		t.Run(tt.c.Scenario, func(t *testing.T) {
			trk := az.Create(tt.c)
			for i, want := range tt.codes {
				a := getAzotteStatus(t, srv, trk, "tn_1", "sk_1")
				got := a.messageCode()
				switch a.code {
				case http.StatusNotFound:
					if got != "ORDERED_ITEM_NOT_FOUND" {
						t.Fatalf("404 body %s", a.raw)
					}
					got = "404"
				case http.StatusConflict:
					if a.header.Get("Content-Type") != "application/problem+json" || a.body["status"] != float64(409) ||
						!strings.Contains(a.body["detail"].(string), trk) {
						t.Fatalf("409 body %s", a.raw)
					}
					got = "409"
				case http.StatusOK:
					if a.body["trackingNumber"] != trk {
						t.Fatalf("trackingNumber %v, want %s", a.body["trackingNumber"], trk)
					}
				}
				if got != want {
					t.Fatalf("answer %d: %s (%d %s), want %s", i+1, got, a.code, a.raw, want)
				}
				follow, _ := a.body["followUpInstructions"].(map[string]any)
				if strings.HasPrefix(got, "CHECK_OUT_") && (want == "CHECK_OUT_PROCESSING" || want == "CHECK_OUT_3DS_REQUIRED") {
					if a.header.Get("Retry-After") != "2" || follow["retryAfterSeconds"] != float64(3) || follow["canFollowUp"] != true {
						t.Fatalf("non-terminal answer without the seed's waits: %v %s", a.header, a.raw)
					}
				} else if got == "CHECK_OUT_DONE" && (follow["canFollowUp"] != false || a.header.Get("Retry-After") != "") {
					t.Fatalf("terminal answer %v %s", a.header, a.raw)
				}
			}
			if az.Checks(trk) != len(tt.codes) {
				t.Fatalf("checks %d, want %d", az.Checks(trk), len(tt.codes))
			}
		})
	}
}

func TestAzotteRetryAfterSettings(t *testing.T) {
	t.Parallel()
	az, srv := azotteSetup(t)
	trk := az.Create(AzotteCheckout{Scenario: AzotteNever, RetryAfter: 9, FollowUpSeconds: 4})
	a := getAzotteStatus(t, srv, trk, "tn_1", "sk_1")
	if a.header.Get("Retry-After") != "9" || a.body["followUpInstructions"].(map[string]any)["retryAfterSeconds"] != float64(4) {
		t.Fatalf("%v %s", a.header, a.raw)
	}
}

// challenge returns the 3DS answer's redirectInstructions.
func challenge(t *testing.T, srv *httptest.Server, trk string) map[string]any {
	t.Helper()
	a := getAzotteStatus(t, srv, trk, "tn_1", "sk_1")
	ri, ok := a.body["redirectInstructions"].(map[string]any)
	if a.messageCode() != "CHECK_OUT_3DS_REQUIRED" || !ok {
		t.Fatalf("want 3DS_REQUIRED with redirectInstructions: %s", a.raw)
	}
	return ri
}

func postForm(t *testing.T, client *http.Client, u string, form url.Values) (*http.Response, string) {
	t.Helper()
	resp, err := client.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func TestAzotteChallengeApproveAndDecline(t *testing.T) {
	t.Parallel()
	az, srv := azotteSetup(t)
	for _, tt := range []struct{ decision, final string }{
		{DecisionApprove, "CHECK_OUT_DONE"}, {DecisionDecline, "CHECK_OUT_FAILED"},
	} {
		t.Run(tt.decision, func(t *testing.T) {
			trk := az.Create(AzotteCheckout{Scenario: Azotte3DS})
			az.SetReturnURL(trk, "http://paysync.test/pay/tok/return")
			ri := challenge(t, srv, trk)
			want := srv.URL + "/challenge/" + trk
			if ri["redirectUrl"] != want || ri["isRedirectRequired"] != true || ri["hasNextSteps"] != true ||
				ri["showHtmlContent"] != false || ri["threeDIdentifier"] == "" {
				t.Fatalf("redirectInstructions %v, want redirectUrl %s", ri, want)
			}
			page, err := srv.Client().Get(want)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(page.Body)
			page.Body.Close()
			for _, s := range []string{`<html lang="en">`, `<button type="submit" id="approve"`, `<button type="submit" id="decline"`,
				`method="post"`, `<legend>`} {
				if !strings.Contains(string(body), s) {
					t.Fatalf("challenge page lacks %s:\n%s", s, body)
				}
			}
			resp, _ := postForm(t, noRedirects(srv), want, url.Values{"decision": {tt.decision}})
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "http://paysync.test/pay/tok/return" {
				t.Fatalf("after the decision: %d Location %q", resp.StatusCode, resp.Header.Get("Location"))
			}
			if az.Decision(trk) != tt.decision {
				t.Fatalf("decision %q", az.Decision(trk))
			}
			// A second decision doesn't change the first.
			other := map[string]string{DecisionApprove: DecisionDecline, DecisionDecline: DecisionApprove}[tt.decision]
			postForm(t, noRedirects(srv), want, url.Values{"decision": {other}})
			if az.Decision(trk) != tt.decision {
				t.Fatalf("decision changed to %q", az.Decision(trk))
			}
			if a := getAzotteStatus(t, srv, trk, "tn_1", "sk_1"); a.messageCode() != tt.final {
				t.Fatalf("after %s: %s", tt.decision, a.raw)
			}
		})
	}
}

func TestAzotteChallengePostBackAndHTML(t *testing.T) {
	t.Parallel()
	az, srv := azotteSetup(t)
	trk := az.Create(AzotteCheckout{Scenario: Azotte3DSHTML, PostBack: true, ReturnURL: "https://paysync.test/pay/tok/return"})
	ri := challenge(t, srv, trk)
	html, _ := ri["htmlContent"].(string)
	challengeURL := srv.URL + "/challenge/" + trk
	if ri["showHtmlContent"] != true || !strings.Contains(html, `method="post"`) || !strings.Contains(html, `action="`+challengeURL+`"`) ||
		!strings.Contains(html, `<button type="submit">`) || !strings.Contains(html, "<script>") {
		t.Fatalf("3ds_html instructions %v", ri)
	}
	// The step-up form posts without a decision: the challenge is shown.
	resp, body := postForm(t, noRedirects(srv), challengeURL, url.Values{"creq": {trk}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `id="approve"`) || az.Decision(trk) != "" {
		t.Fatalf("step-up post: %d %s", resp.StatusCode, body)
	}
	resp, body = postForm(t, noRedirects(srv), challengeURL, url.Values{"decision": {"approve"}})
	for _, s := range []string{`<form id="return" method="post" action="https://paysync.test/pay/tok/return">`,
		`<button type="submit" id="continue">`, `document.getElementById("return").submit()`} {
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, s) {
			t.Fatalf("post-back page lacks %s: %d\n%s", s, resp.StatusCode, body)
		}
	}
	if resp, _ := postForm(t, noRedirects(srv), challengeURL, url.Values{"decision": {"maybe"}}); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("bad decision: %d", resp.StatusCode)
	}
	notChallenge := az.Create(AzotteCheckout{Scenario: AzotteDone})
	if resp, err := srv.Client().Get(srv.URL + "/challenge/" + notChallenge); err != nil || resp.StatusCode != http.StatusNotFound {
		t.Fatalf("challenge of a non-3DS checkout: %v %v", resp, err)
	}
}

func TestAzotteSandboxRoutes(t *testing.T) {
	t.Parallel()
	az, srv := azotteSetup(t)
	resp, err := srv.Client().Post(srv.URL+"/sandbox/checkouts", "application/json",
		strings.NewReader(`{"scenario":"3ds","processing_checks":1}`))
	if err != nil {
		t.Fatal(err)
	}
	var created map[string]string
	json.NewDecoder(resp.Body).Decode(&created)
	resp.Body.Close()
	trk := created["trackingNumber"]
	if resp.StatusCode != http.StatusCreated || !strings.HasPrefix(trk, "trk_") || created["challenge_url"] != srv.URL+"/challenge/"+trk {
		t.Fatalf("create: %d %v", resp.StatusCode, created)
	}
	set := func(tracking, body string) int {
		resp, err := srv.Client().Post(srv.URL+"/sandbox/checkouts/"+tracking+"/return_url", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := set(trk, `{"return_url":"http://127.0.0.1:8080/pay/tok/return"}`); code != http.StatusOK {
		t.Fatalf("set return url: %d", code)
	}
	if code := set(trk, `{"return_url":"javascript:alert(1)"}`); code != http.StatusBadRequest {
		t.Fatalf("bad return url: %d", code)
	}
	if code := set("trk_unknown", `{"return_url":"http://x.test/"}`); code != http.StatusNotFound {
		t.Fatalf("unknown tracking: %d", code)
	}
	resp, _ = postForm(t, noRedirects(srv), created["challenge_url"], url.Values{"decision": {"approve"}})
	if resp.Header.Get("Location") != "http://127.0.0.1:8080/pay/tok/return" {
		t.Fatalf("Location %q", resp.Header.Get("Location"))
	}
	for _, body := range []string{`{"scenario":"bogus"}`, `{"return_url":"/rel"}`, `{"processing_checks":-1}`, `[`} {
		resp, err := srv.Client().Post(srv.URL+"/sandbox/checkouts", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("create %s: %d", body, resp.StatusCode)
		}
	}
	if named := az.Create(AzotteCheckout{TrackingNumber: "trk_fixed"}); named != "trk_fixed" {
		t.Fatalf("named tracking number %q", named)
	}
}
