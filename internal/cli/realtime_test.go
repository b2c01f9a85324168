package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	paysync "github.com/paysync/paysync/internal/app"
	"github.com/paysync/paysync/internal/testwait"
	"github.com/paysync/paysync/sandbox"
)

// startWatchedApp is startApp that also hands back the running service,
// so the test can count subscribers, the sandbox PayUnit server, and a
// stop that returns serve's error.
func startWatchedApp(t *testing.T) (*app, *paysync.App, *httptest.Server, func() error) {
	t.Helper()
	a := &app{t: t, admin: testAdminToken, dbPath: filepath.Join(t.TempDir(), "paysync.db")}
	a.payunit = sandbox.NewPayUnit(sandbox.PayUnitConfig{APIKey: "k", APIUser: "u", APIPassword: "p", Mode: "test"})
	pu := httptest.NewServer(a.payunit)
	t.Cleanup(pu.Close)
	a.puURL = pu.URL
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan *paysync.App, 1)
	done := make(chan error, 1)
	env := map[string]string{"PAYSYNC_MASTER_KEY": testMasterKey, "PAYSYNC_ADMIN_TOKEN": a.admin,
		"PAYSYNC_ALLOW_PRIVATE_URLS": "true", "PAYSYNC_POLL_GRACE": "1h", "PAYSYNC_POLL_MIN_INTERVAL": "100ms"}
	args := []string{"--addr", "127.0.0.1:0", "--db", a.dbPath, "--public-url", "http://paysync.test"}
	go func() {
		cfg, err := parseConfig(newFlagSet("serve", io.Discard), args, func(k string) string { return env[k] }, "")
		if err != nil {
			done <- err
			return
		}
		done <- serve(ctx, cfg, newLogger(io.Discard, slog.LevelInfo), io.Discard, func(s *paysync.App) { started <- s })
	}()
	var s *paysync.App
	select {
	case s = <-started:
		a.url = "http://" + s.Addr()
	case err := <-done:
		cancel()
		t.Fatalf("serve: %v", err)
	}
	var once sync.Once
	var serveErr error
	stop := func() error {
		once.Do(func() { cancel(); serveErr = <-done })
		return serveErr
	}
	t.Cleanup(func() { stop() })
	a.createMerchant("acme")
	return a, s, pu, stop
}

// waiter is one long-poll's outcome.
type waiter struct {
	status  int
	version int
	at      time.Time
	err     error
}

// longPoll sends GET /v1/checkouts/{id}?wait=60s with client.
func longPoll(client *http.Client, a *app, id string) waiter {
	req, _ := http.NewRequest(http.MethodGet, a.url+"/v1/checkouts/"+id+"?wait=60s", nil)
	req.Header.Set("Authorization", "Bearer "+a.apiKey)
	resp, err := client.Do(req)
	if err != nil {
		return waiter{err: err, at: time.Now()}
	}
	defer resp.Body.Close()
	var c checkoutJSON
	err = json.NewDecoder(resp.Body).Decode(&c)
	return waiter{status: resp.StatusCode, version: c.Version, at: time.Now(), err: err}
}

// startWaiters starts n long-polls; the channel yields each outcome.
func startWaiters(client *http.Client, a *app, id string, n int) <-chan waiter {
	out := make(chan waiter, n)
	for range n {
		go func() { out <- longPoll(client, a, id) }()
	}
	return out
}

func quantile(ds []time.Duration, q float64) time.Duration {
	return ds[int(q*float64(len(ds)-1))]
}

// TestThousandLongPollWaiters: 1,000 concurrent long-polls on one checkout,
// over real HTTP through the real service, all return with the new version
// after one change; then at shutdown every waiter and stream is released
// and no subscription or goroutine is left. Not parallel: it counts
// goroutines.
func TestThousandLongPollWaiters(t *testing.T) {
	const n = 1000
	before := runtime.NumGoroutine()
	a, s, pu, stop := startWatchedApp(t)
	transport := &http.Transport{MaxIdleConnsPerHost: n}
	client := &http.Client{Transport: transport, Timeout: 90 * time.Second}

	puID := a.payunit.Create(sandbox.Payment{TransactionID: "order-1000", Amount: "10", Currency: "XAF"})
	c := a.register("order-1000", "10")
	results := startWaiters(client, a, c.ID, n)
	testwait.For(t, "1,000 subscribed waiters", func() bool { return s.Feed().Subscribers() == n })

	probe := s.Feed().Subscribe(c.ID) // learns the commit as the waiters do
	defer probe.Close()
	if err := a.payunit.SetStatus(puID, sandbox.StatusSuccess); err != nil {
		t.Fatal(err)
	}
	triggered := time.Now()
	a.callback("order-1000", "SUCCESS") // → status check → succeeded (version 2)
	settled, err := probe.Next(context.Background(), int64(c.Version))
	committed := time.Now()
	if err != nil {
		t.Fatal(err)
	}
	var lags []time.Duration
	for range n {
		w := <-results
		if w.err != nil || w.status != http.StatusOK || w.version != int(settled.Version) {
			t.Fatalf("a waiter got %d version %d (%v), want 200 with version %d", w.status, w.version, w.err, settled.Version)
		}
		lags = append(lags, w.at.Sub(committed))
	}
	slices.Sort(lags)
	t.Logf("%d long-poll waiters, one change: commit → return p50 %v, p99 %v, max (last waiter) %v; callback POST → commit %v",
		n, quantile(lags, 0.5), quantile(lags, 0.99), lags[n-1], committed.Sub(triggered))
	probe.Close()
	testwait.For(t, "the waiters' subscriptions to end", func() bool { return s.Feed().Subscribers() == 0 })

	// Shutdown with waiters and a stream in flight: all end at once.
	held := a.register("order-held", "10")
	results = startWaiters(client, a, held.ID, 200)
	stream := openStream(t, client, a, held.ID)
	testwait.For(t, "200 waiters and a stream", func() bool { return s.Feed().Subscribers() == 201 })
	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()
	for range 200 {
		if w := <-results; w.err != nil || w.status != http.StatusOK || w.version != held.Version {
			t.Fatalf("at shutdown a waiter got %d version %d (%v), want 200 with version %d", w.status, w.version, w.err, held.Version)
		}
	}
	if rest, err := io.ReadAll(stream); err != nil || strings.Contains(string(rest), "event:") {
		t.Fatalf("stream at shutdown: %q, %v; want a clean end", rest, err)
	}
	if err := <-stopped; err != nil {
		t.Fatalf("serve returned %v", err)
	}
	if k := s.Feed().Subscribers(); k != 0 {
		t.Fatalf("%d subscribers left after shutdown", k)
	}
	transport.CloseIdleConnections()
	pu.Close() // the sandbox, and the idle keep-alive connections the poller's client kept to it
	defer func() {
		if t.Failed() {
			buf := make([]byte, 1<<20)
			t.Logf("%d goroutines after shutdown, %d before:\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
		}
	}()
	testwait.For(t, fmt.Sprintf("the goroutines after shutdown to be back to %d", before), func() bool { return runtime.NumGoroutine() <= before })
}

// openStream opens the checkout's event stream and reads its first event;
// the rest of the body is returned.
func openStream(t *testing.T, client *http.Client, a *app, id string) io.Reader {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, a.url+"/v1/checkouts/"+id+"/stream", nil)
	req.Header.Set("Authorization", "Bearer "+a.apiKey)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	r := bufio.NewReader(resp.Body)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("stream: %v", err)
		}
		if line == "\n" {
			return r
		}
	}
}
