package app

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/paysync/paysync/internal/testwait"
	"github.com/paysync/paysync/sandbox"
	"github.com/paysync/paysync/store"
	"github.com/paysync/paysync/store/postgres/pgtest"
)

// syncBuffer is a log destination several goroutines write to.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) count(s string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Count(b.buf.String(), s)
}

// TestPostgresRestartUnderLoad is CONTRACT §13's second half: two
// instances take registrations and callbacks while PostgreSQL is
// restarted under them. They reconnect by themselves, /readyz is ready
// again, every acknowledged callback is recorded, and each instance logs
// the loss of its database and its return once each, not once a second.
func TestPostgresRestartUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and restarts a PostgreSQL cluster of its own; skipped with -short")
	}
	srv := pgtest.Own(t)
	url := srv.Database(t)
	pu := sandbox.NewPayUnit(sandbox.PayUnitConfig{})
	provider := httptest.NewServer(pu)
	t.Cleanup(provider.Close)
	logs := &syncBuffer{}
	start := func() *App {
		cfg := Config{Addr: "127.0.0.1:0", DB: url, MasterKey: testKey, AllowPrivateURLs: true,
			Logger: slog.New(slog.NewJSONHandler(logs, nil))}
		app, err := Start(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { app.Shutdown() })
		return app
	}
	apps := []*App{start(), start()}
	ctx := context.Background()
	m, err := apps[0].Store().CreateMerchant(ctx, store.NewMerchant{Name: "acme",
		PayUnit: &store.PayUnitAccount{BaseURL: provider.URL, APIUser: "sandbox", APIPassword: "sandbox", APIKey: "test_sandbox_key", Mode: "test"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range apps {
		testwait.For(t, "the instances to be ready", func() bool { return get(t, a.PublicURL()+"/readyz") == 200 })
	}

	client := &http.Client{Timeout: 10 * time.Second}
	var mu sync.Mutex
	acked := map[string]int{} // acknowledged callbacks by reference
	var acks atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				a := apps[(w+i)%len(apps)]
				ref := fmt.Sprintf("pgr-%d-%d", w, i)
				if ok := registerAndNotify(client, a, m, pu, ref); ok {
					mu.Lock()
					acked[ref]++
					mu.Unlock()
					acks.Add(1)
				}
			}
		})
	}
	testwait.For(t, "100 callbacks acknowledged before the restart", func() bool { return acks.Load() >= 100 })
	srv.Restart(t)
	restarted := acks.Load()
	for _, a := range apps {
		testwait.For(t, "the instances to be ready again", func() bool { return get(t, a.PublicURL()+"/readyz") == 200 })
	}
	testwait.For(t, "100 callbacks acknowledged after the restart", func() bool { return acks.Load() >= restarted+100 })
	close(stop)
	wg.Wait()

	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	testwait.For(t, "the inbox to be drained", func() bool {
		var n int
		return conn.QueryRow(ctx, `SELECT count(*) FROM inbox`).Scan(&n) == nil && n == 0
	})
	mu.Lock()
	defer mu.Unlock()
	lost := 0
	for ref, n := range acked {
		var stored int
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM notifications WHERE transaction_id = $1`, ref).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if stored < n {
			t.Errorf("%s: %d acknowledged callbacks, %d recorded", ref, n, stored)
			lost += n - stored
		}
	}
	lostLogs, regained := logs.count(`"event":"liveness_lost"`), logs.count(`"event":"liveness_regained"`)
	t.Logf("PostgreSQL restarted under load: %d callbacks acknowledged (%d after the restart), %d lost; logs: %d losses, %d returns of the database",
		acks.Load(), acks.Load()-restarted, lost, lostLogs, regained)
	if lostLogs < 1 || lostLogs > 2*len(apps) || regained != lostLogs {
		t.Errorf("logged %d losses and %d returns of the database for one restart and %d instances; want one of each per instance (at most two)", lostLogs, regained, len(apps))
	}
}

// registerAndNotify registers a checkout through a and posts PayUnit's
// callback for it; it reports whether the callback was acknowledged.
func registerAndNotify(client *http.Client, a *App, m store.CreatedMerchant, pu *sandbox.PayUnit, ref string) bool {
	pay := pu.Create(sandbox.Payment{TransactionID: ref, Amount: "2500", Currency: "XAF", Scenario: sandbox.ScenarioPaysLost})
	pu.SetStatus(pay, sandbox.StatusSuccess)
	req, _ := http.NewRequest(http.MethodPost, a.PublicURL()+"/v1/checkouts",
		strings.NewReader(fmt.Sprintf(`{"provider":"payunit","reference":%q,"amount":"2500","currency":"XAF"}`, ref)))
	req.Header.Set("Authorization", "Bearer "+m.APIKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		return false
	}
	resp, err = client.Post(a.PublicURL()+"/hooks/payunit/"+m.HookToken, "application/json",
		strings.NewReader(fmt.Sprintf(`{"transaction_id":%q,"status":"SUCCESS"}`, ref)))
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}
