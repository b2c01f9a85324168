package cli

import (
	"bytes"
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	paysync "github.com/paysync/paysync/internal/app"
	"github.com/paysync/paysync/internal/testwait"
	"github.com/paysync/paysync/sandbox"
)

var testMasterKey = base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))

// testAdminToken is an admin token of the shortest length serve accepts.
const testAdminToken = "adm-test-0123456789abcdefghijklm"

// app is a whole paysync started by run, as a user would, on a database
// in a temporary folder, next to a sandbox PayUnit.
type app struct {
	t       *testing.T
	url     string
	admin   string
	payunit *sandbox.PayUnit
	puURL   string
	apiKey  string
	notify  string
	dbPath  string
	svc     *paysync.App // the running service (set before boot returns)
}

func startApp(t *testing.T, extra ...string) *app {
	t.Helper()
	a := &app{t: t, admin: testAdminToken, dbPath: filepath.Join(t.TempDir(), "paysync.db")}
	a.payunit = sandbox.NewPayUnit(sandbox.PayUnitConfig{APIKey: "k", APIUser: "u", APIPassword: "p", Mode: "test"})
	pu := httptest.NewServer(a.payunit)
	t.Cleanup(pu.Close)
	a.puURL = pu.URL
	a.boot(extra...)
	a.createMerchant("acme")
	return a
}

// boot runs "paysync serve" until the test ends (or restart).
func (a *app) boot(extra ...string) (stop func()) {
	t := a.t
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)         // also when serve never starts
	up := make(chan error, 1) // nil once serving; else why serve ended first
	done := make(chan error, 1)
	env := map[string]string{"PAYSYNC_MASTER_KEY": testMasterKey, "PAYSYNC_ADMIN_TOKEN": a.admin,
		"PAYSYNC_ALLOW_PRIVATE_URLS": "true", "PAYSYNC_POLL_GRACE": "300ms", "PAYSYNC_POLL_MIN_INTERVAL": "100ms",
		"PAYSYNC_POLL_MAX_INTERVAL": "1s"}
	args := append([]string{"--addr", "127.0.0.1:0", "--db", a.dbPath, "--public-url", "http://paysync.test"}, extra...)
	go func() {
		err := func() error {
			cfg, err := parseConfig(newFlagSet("serve", io.Discard), args, func(k string) string { return env[k] }, "")
			if err != nil {
				return err
			}
			return serve(ctx, cfg, newLogger(io.Discard, slog.LevelInfo), io.Discard, func(s *paysync.App) {
				a.svc, a.url = s, "http://"+s.Addr()
				up <- nil
			})
		}()
		select {
		case up <- cmp.Or(err, errors.New("serve returned before it started")): // read only if serve never started
		default: // up still holds the start
		}
		done <- err
	}()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("serve returned %v", err)
			}
		})
	}
	if err := testwait.Signal(t, "serve to start", up); err != nil {
		t.Fatalf("serve: %v", err)
	}
	t.Cleanup(stop)
	return stop
}

func (a *app) do(method, path, key string, body any) (*http.Response, []byte) {
	a.t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			a.t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, a.url+path, r)
	if err != nil {
		a.t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp, out
}

func (a *app) createMerchant(name string) (apiKey, notify string) {
	a.t.Helper()
	resp, body := a.do("POST", "/admin/v1/merchants", a.admin, map[string]any{
		"name": name, "return_hosts": []string{"shop.example"},
		"payunit": map[string]string{"base_url": a.puURL, "api_user": "u", "api_password": "p", "api_key": "k", "mode": "test"},
	})
	if resp.StatusCode != 201 {
		a.t.Fatalf("create merchant: %d %s", resp.StatusCode, body)
	}
	var m struct {
		APIKey string `json:"api_key"`
		Notify string `json:"payunit_notify_url"`
	}
	json.Unmarshal(body, &m)
	if a.apiKey == "" {
		a.apiKey, a.notify = m.APIKey, strings.Replace(m.Notify, "http://paysync.test", "", 1)
	}
	return m.APIKey, strings.Replace(m.Notify, "http://paysync.test", "", 1)
}

type checkoutJSON struct {
	ID         string `json:"id"`
	State      string `json:"state"`
	ResolvedBy string `json:"resolved_by"`
	Version    int    `json:"version"`
	Anomaly    *struct {
		Code string `json:"code"`
	} `json:"anomaly"`
}

func (a *app) register(ref, amount string) checkoutJSON {
	a.t.Helper()
	resp, body := a.do("POST", "/v1/checkouts", a.apiKey, map[string]any{
		"provider": "payunit", "reference": ref, "amount": amount, "currency": "XAF"})
	if resp.StatusCode != 201 {
		a.t.Fatalf("register: %d %s", resp.StatusCode, body)
	}
	var c checkoutJSON
	json.Unmarshal(body, &c)
	return c
}

func (a *app) checkout(id string) checkoutJSON {
	a.t.Helper()
	resp, body := a.do("GET", "/v1/checkouts/"+id, a.apiKey, nil)
	if resp.StatusCode != 200 {
		a.t.Fatalf("get checkout: %d %s", resp.StatusCode, body)
	}
	var c checkoutJSON
	json.Unmarshal(body, &c)
	return c
}

// callback posts a PayUnit-style callback body to the merchant's notify URL.
func (a *app) callback(txn, status string) int {
	a.t.Helper()
	resp, body := a.do("POST", a.notify, "", map[string]any{"transaction_id": txn, "status": status, "amount": 10})
	if resp.StatusCode != 200 {
		a.t.Logf("callback: %d %s", resp.StatusCode, body)
	}
	return resp.StatusCode
}

// events counts the checkout's events by type.
func (a *app) events(id string) map[string]int {
	a.t.Helper()
	resp, body := a.do("GET", "/v1/checkouts/"+id+"/events", a.apiKey, nil)
	if resp.StatusCode != 200 {
		a.t.Fatalf("events: %d %s", resp.StatusCode, body)
	}
	var ev struct {
		Data []struct {
			Type string `json:"type"`
		} `json:"data"`
	}
	json.Unmarshal(body, &ev)
	n := map[string]int{}
	for _, e := range ev.Data {
		n[e.Type]++
	}
	return n
}

func TestForgedCallbackThenVerifiedCallback(t *testing.T) {
	t.Parallel()
	a := startApp(t, "--poll-grace", "1h")
	puID := a.payunit.Create(sandbox.Payment{TransactionID: "order-forged", Amount: "10", Currency: "XAF"})
	c := a.register("order-forged", "10")

	if code := a.callback("order-forged", "SUCCESS"); code != 200 {
		t.Fatalf("callback answered %d", code)
	}
	// The callback makes paysync ask PayUnit at once, and PayUnit says PENDING.
	testwait.For(t, "a status check applied after the callback", func() bool { return a.events(c.ID)["status_checked"] >= 1 })
	if got := a.checkout(c.ID); got.State != "pending" {
		t.Fatalf("forged callback moved the checkout to %s", got.State)
	}

	// Now the buyer really pays and PayUnit's callback comes.
	if err := a.payunit.Resolve(context.Background(), puID); err != nil {
		t.Fatal(err)
	}
	a.callback("order-forged", "SUCCESS")
	testwait.For(t, "succeeded", func() bool { return a.checkout(c.ID).State == "succeeded" })
	if got := a.checkout(c.ID); got.ResolvedBy != "callback" {
		t.Fatalf("resolved_by = %q, want callback", got.ResolvedBy)
	}
}

func TestLostCallbackSettledByPoller(t *testing.T) {
	t.Parallel()
	a := startApp(t)
	puID := a.payunit.Create(sandbox.Payment{TransactionID: "order-lost", Amount: "10", Currency: "XAF", Scenario: sandbox.ScenarioPaysLost})
	c := a.register("order-lost", "10")
	if err := a.payunit.Resolve(context.Background(), puID); err != nil {
		t.Fatal(err)
	}
	testwait.For(t, "the poller to settle the checkout", func() bool { return a.checkout(c.ID).State == "succeeded" })
	if got := a.checkout(c.ID); got.ResolvedBy != "poll" {
		t.Fatalf("resolved_by = %q, want poll", got.ResolvedBy)
	}
}

func TestDuplicateCallbacksOneTransition(t *testing.T) {
	t.Parallel()
	a := startApp(t, "--poll-grace", "1h")
	puID := a.payunit.Create(sandbox.Payment{TransactionID: "order-dup", Amount: "10", Currency: "XAF"})
	c := a.register("order-dup", "10")
	if err := a.payunit.SetStatus(puID, sandbox.StatusSuccess); err != nil {
		t.Fatal(err)
	}
	// A slow status API, so that callbacks keep arriving while a check is in flight.
	a.payunit.SetFaults(sandbox.Faults{Delay: 50 * time.Millisecond})
	var wg sync.WaitGroup
	codes := make(chan int, 50)
	for range 50 {
		wg.Go(func() { codes <- a.callback("order-dup", "SUCCESS") })
	}
	wg.Wait()
	close(codes)
	for code := range codes {
		if code != 200 {
			t.Fatalf("a duplicate callback got %d", code)
		}
	}
	testwait.For(t, "succeeded", func() bool { return a.checkout(c.ID).State == "succeeded" })
	ev := a.events(c.ID)
	if ev["state_changed"] != 1 {
		t.Fatalf("%d state transitions, want exactly 1", ev["state_changed"])
	}
	if ev["callback_received"] != 1 {
		t.Fatalf("%d callback events, want 1: 50 identical callbacks are one row counting them", ev["callback_received"])
	}
	// Duplicates coalesce: a check in flight keeps its lease, and a callback
	// during it buys one more check, not one each.
	if n := a.payunit.Checks(puID); n > 4 {
		t.Fatalf("50 duplicate callbacks led to %d PayUnit status calls, want a handful", n)
	}
	t.Logf("50 duplicate callbacks: 1 transition, %d PayUnit status calls", a.payunit.Checks(puID))
	if got := a.checkout(c.ID); got.Version != 2 {
		t.Fatalf("version %d, want 2 (registered, then settled once)", got.Version)
	}
}

func TestAmountMismatchNeverSucceeds(t *testing.T) {
	t.Parallel()
	a := startApp(t)
	puID := a.payunit.Create(sandbox.Payment{TransactionID: "order-cheap", Amount: "10", Currency: "XAF", Scenario: sandbox.ScenarioPaysLost})
	c := a.register("order-cheap", "15000")
	if err := a.payunit.Resolve(context.Background(), puID); err != nil {
		t.Fatal(err)
	}
	a.callback("order-cheap", "SUCCESS")
	testwait.For(t, "an anomaly", func() bool { return a.checkout(c.ID).Anomaly != nil })
	got := a.checkout(c.ID)
	if got.State == "succeeded" || got.Anomaly.Code != "amount_mismatch" {
		t.Fatalf("state %s anomaly %+v, want not succeeded with amount_mismatch", got.State, got.Anomaly)
	}
}

func TestEarlyCallbackSettlesOnRegistration(t *testing.T) {
	t.Parallel()
	a := startApp(t, "--poll-grace", "1h")
	puID := a.payunit.Create(sandbox.Payment{TransactionID: "order-early", Amount: "10", Currency: "XAF"})
	if err := a.payunit.SetStatus(puID, sandbox.StatusSuccess); err != nil {
		t.Fatal(err)
	}
	if code := a.callback("order-early", "SUCCESS"); code != 200 {
		t.Fatalf("early callback answered %d", code)
	}
	c := a.register("order-early", "10")
	testwait.For(t, "succeeded", func() bool { return a.checkout(c.ID).State == "succeeded" })
	if got := a.checkout(c.ID); got.ResolvedBy != "callback" {
		t.Fatalf("resolved_by = %q, want callback", got.ResolvedBy)
	}
	resp, body := a.do("GET", "/metrics", "", nil)
	for _, want := range []string{
		`paysync_callbacks_received_total{early="true",provider="payunit"} 1`,
		`paysync_settlements_total{provider="payunit",resolved_by="callback",state="succeeded"} 1`,
		`paysync_checks_total{outcome="succeeded",provider="payunit"} 1`,
		`paysync_callbacks_verified_total{provider="payunit"} 1`,
		`paysync_time_to_terminal_seconds_count 1`,
		`paysync_check_lateness_seconds_count `,
		`# TYPE paysync_poller_backlog gauge`,
		`paysync_circuit_state{endpoint="` + strings.TrimPrefix(a.puURL, "http://") + `",provider="payunit"} 0`,
	} {
		if resp.StatusCode != 200 || !strings.Contains(string(body), want) {
			t.Errorf("/metrics (%d) lacks %s", resp.StatusCode, want)
		}
	}
}

func TestMerchantIsolationAndBadInput(t *testing.T) {
	t.Parallel()
	a := startApp(t)
	c := a.register("order-mine", "10")
	otherKey, _ := a.createMerchant("other")
	if resp, _ := a.do("GET", "/v1/checkouts/"+c.ID, otherKey, nil); resp.StatusCode != 404 {
		t.Fatalf("another merchant's checkout: %d, want 404", resp.StatusCode)
	}
	req, _ := http.NewRequest("POST", a.url+"/v1/checkouts", strings.NewReader(`{"provider":`))
	req.Header.Set("Authorization", "Bearer "+a.apiKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 || resp.Header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("malformed JSON: %d %s, want 400 problem+json", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	big := fmt.Sprintf(`{"transaction_id":"x","pad":"%s"}`, strings.Repeat("a", 70<<10))
	resp, err = http.Post(a.url+a.notify, "application/json", strings.NewReader(big))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 413 {
		t.Fatalf("oversized callback: %d, want 413", resp.StatusCode)
	}
}
