package cli

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/paysync/paysync/internal/testwait"
)

// lockedBuffer is an io.Writer a test can read while a command writes.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// jsonCall sends a JSON request and decodes the JSON answer.
func jsonCall(t *testing.T, method, u, key string, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%s %s: %d %q", method, u, resp.StatusCode, raw)
	}
	return resp.StatusCode, out
}

// The demo's printed Azotte walkthrough works as written: sandbox checkout,
// registration, return URL, action_required with a /pay/.../3ds redirect,
// the challenge, and a verified success.
func TestDemoAzotteWalkthrough(t *testing.T) {
	if testing.Short() {
		t.Skip("boots the whole demo")
	}
	text := runDemo(t)
	find := func(re string) string {
		m := regexp.MustCompile(re).FindStringSubmatch(text)
		if m == nil {
			t.Fatalf("demo output lacks %s:\n%s", re, text)
		}
		return m[1]
	}
	paysync, key, azotte := find(`export PAYSYNC=(\S+)`), find(`KEY=(\S+)`), find(`export AZOTTE=(\S+)`)

	code, created := jsonCall(t, "POST", azotte+"/sandbox/checkouts", "", `{"scenario":"3ds"}`)
	trk, _ := created["trackingNumber"].(string)
	if code != http.StatusCreated || trk == "" {
		t.Fatalf("sandbox checkout: %d %v", code, created)
	}
	code, c := jsonCall(t, "POST", paysync+"/v1/checkouts", key,
		`{"provider":"azotte","provider_ref":"`+trk+`","amount":"2500","currency":"XAF"}`)
	if code != http.StatusCreated {
		t.Fatalf("register: %d %v", code, c)
	}
	id, returnURL := c["id"].(string), c["return_url"].(string)
	if code, _ := jsonCall(t, "POST", azotte+"/sandbox/checkouts/"+trk+"/return_url", "", `{"return_url":"`+returnURL+`"}`); code != http.StatusOK {
		t.Fatalf("set return url: %d", code)
	}
	get := func() map[string]any {
		_, c := jsonCall(t, "GET", paysync+"/v1/checkouts/"+id, key, "")
		return c
	}
	testwait.For(t, "action_required", func() bool { return get()["state"] == "action_required" })
	action, _ := get()["action"].(map[string]any)
	if want := strings.TrimSuffix(returnURL, "/return") + "/3ds"; action["redirect_url"] != want {
		t.Fatalf("action %v, want redirect_url %s", action, want)
	}

	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.PostForm(azotte+"/challenge/"+trk, url.Values{"decision": {"approve"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != returnURL {
		t.Fatalf("challenge: %d to %q, want the checkout's return_url", resp.StatusCode, resp.Header.Get("Location"))
	}
	// The hosted return page (built elsewhere) triggers the check; a refresh does the same here.
	if code, _ := jsonCall(t, "POST", paysync+"/v1/checkouts/"+id+"/refresh", key, ""); code != http.StatusAccepted {
		t.Fatalf("refresh: %d", code)
	}
	testwait.For(t, "succeeded", func() bool { return get()["state"] == "succeeded" })
	if c := get(); c["provider_status"] != "CHECK_OUT_DONE" || c["anomaly"] != nil {
		t.Fatalf("checkout %v", c)
	}
}
