package app

import (
	"context"
	"log/slog"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// A drain that fails before it takes anything (the database is failing)
// gives up at once and says so, for the loop to wait for its next tick
// instead of retrying at full speed. (Found by review: it spun.)
func TestDrainAllGivesUpOnAFailingDatabase(t *testing.T) {
	ctx := context.Background()
	db, _, err := openStore(ctx, testConfig(t), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Close() // every write now fails, before anything is taken
	d, err := newInboxDrainer(db, slog.New(slog.DiscardHandler), prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	d.wake = func() {}
	if d.drainAll(ctx) {
		t.Fatal("drainAll reported the inbox drained over a closed database")
	}
	var m dto.Metric
	if err := d.failures.Write(&m); err != nil {
		t.Fatal(err)
	}
	if n := m.GetCounter().GetValue(); n != 1 {
		t.Fatalf("one drainAll failed %v times; want 1, then wait for the tick", n)
	}
}
