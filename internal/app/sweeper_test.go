package app

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/paysync/paysync/sandbox"
	"github.com/paysync/paysync/store"
)

// metricsText returns the body of GET /metrics.
func metricsText(t *testing.T, a *App) string {
	t.Helper()
	resp, err := http.Get(a.PublicURL() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestServiceSweepsOnItsClock: the running service sweeps (at start, then
// every SweepPeriod) on its injected clock: a callback unmatched for
// longer than the retention is deleted, the deletion is counted in
// /metrics beside the database's size, and Shutdown stops the sweeper.
func TestServiceSweepsOnItsClock(t *testing.T) {
	ctx := context.Background()
	clock := sandbox.NewClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	cfg := testConfig(t)
	cfg.Now = clock.Now
	m, err := CreateMerchant(ctx, cfg, store.NewMerchant{Name: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	db, _, err := openStore(ctx, cfg, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.RecordNotification(ctx, store.Notification{MerchantID: m.ID, Provider: store.ProviderPayUnit,
		TransactionID: "nobody-registered-this", Body: []byte(`{"transaction_id":"nobody-registered-this"}`)}); err != nil {
		t.Fatal(err)
	}
	db.Close()

	clock.Advance(72*time.Hour + time.Minute)
	cfg.UnmatchedRetention = 72 * time.Hour
	swept := make(chan store.Swept, 1)
	cfg.OnSweep = func(s store.Swept) { swept <- s }
	a, err := Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case s := <-swept:
		if s.Unmatched != 1 {
			t.Fatalf("first sweep %+v, want the expired callback deleted", s)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the service didn't sweep at start")
	}
	text := metricsText(t, a)
	if want := `paysync_retention_deleted_rows_total{table="unmatched_notifications"} 1`; !strings.Contains(text, want) {
		t.Fatalf("/metrics lacks %s:\n%s", want, grepLines(text, "paysync_retention"))
	}
	if !strings.Contains(text, "paysync_database_size_bytes ") || strings.Contains(text, "paysync_database_size_bytes -1") {
		t.Fatalf("no database size in /metrics:\n%s", grepLines(text, "paysync_database"))
	}
	if err := a.Shutdown(); err != nil { // stops the sweeper before the database closes
		t.Fatal(err)
	}
}

func grepLines(text, prefix string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
