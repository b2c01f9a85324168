package maintenance_test

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/paysync/paysync/internal/testwait"
	"github.com/paysync/paysync/maintenance"
	"github.com/paysync/paysync/sandbox"
	"github.com/paysync/paysync/store"
)

// TestRetentionSweepsOnItsClock: the sweep runs at start on the store's
// injected clock: a callback unmatched for longer than the retention is
// deleted, the deletion is counted beside the database's size, and Stop
// ends the service before the database closes.
func TestRetentionSweepsOnItsClock(t *testing.T) {
	ctx := context.Background()
	clock := sandbox.NewClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	db := openStore(t, dbPath(t), store.Options{Now: clock.Now})
	m, err := db.CreateMerchant(ctx, store.NewMerchant{Name: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.RecordNotification(ctx, store.Notification{MerchantID: m.ID, Provider: store.ProviderPayUnit,
		TransactionID: "nobody-registered-this", Body: []byte(`{"transaction_id":"nobody-registered-this"}`)}); err != nil {
		t.Fatal(err)
	}

	clock.Advance(72*time.Hour + time.Minute)
	swept := make(chan store.Swept, 1)
	reg := prometheus.NewRegistry()
	s, err := maintenance.NewRetention(db, maintenance.RetentionConfig{Unmatched: 72 * time.Hour,
		OnSweep: func(s store.Swept) { swept <- s }, Metrics: reg})
	if err != nil {
		t.Fatal(err)
	}
	s.Start(ctx)
	defer s.Stop()
	if got := testwait.Signal(t, "the sweep at start", swept); got.Unmatched != 1 {
		t.Fatalf("first sweep %+v, want the expired callback deleted", got)
	}
	if got := gathered(t, reg, "paysync_retention_deleted_rows_total", "table=unmatched_notifications"); got != 1 {
		t.Fatalf("paysync_retention_deleted_rows_total{table=unmatched_notifications} = %v, want 1", got)
	}
	if got := gathered(t, reg, "paysync_database_size_bytes", ""); got <= 0 {
		t.Fatalf("paysync_database_size_bytes = %v, want the database's size", got)
	}
	s.Stop() // before the database closes (the test's cleanup)
	testwait.Signal(t, "the sweep to stop", s.Stopped())
}
