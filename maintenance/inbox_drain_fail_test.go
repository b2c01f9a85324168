package maintenance

import (
	"context"
	"path/filepath"
	"testing"

	dto "github.com/prometheus/client_model/go"

	"github.com/paysync/paysync/store"
	"github.com/paysync/paysync/store/sqlite/sqlitetest"
)

// A drain that fails before it takes anything (the database is failing)
// gives up at once and says so, for the loop to wait for its next tick
// instead of retrying at full speed. (Found by review: it spun.)
func TestDrainAllGivesUpOnAFailingDatabase(t *testing.T) {
	ctx := context.Background()
	db, err := sqlitetest.Open(ctx, filepath.Join(t.TempDir(), "paysync.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	db.Close() // every write now fails, before anything is taken
	d, err := NewInboxDrain(db, InboxDrainConfig{})
	if err != nil {
		t.Fatal(err)
	}
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
