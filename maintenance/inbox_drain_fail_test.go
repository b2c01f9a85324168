package maintenance

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
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

// cancelledStore answers a drain as a database does when the drain's
// context ends mid-query (SIGTERM): it ends the context, then fails.
type cancelledStore struct{ cancel context.CancelFunc }

func (s cancelledStore) DrainInbox(ctx context.Context, _ int64, _ int) (store.Drained, error) {
	s.cancel()
	return store.Drained{}, fmt.Errorf("drain inbox: %w", ctx.Err())
}

func (s cancelledStore) BuryInbox(context.Context, int64, string) (bool, error) {
	return false, errors.New("bury inbox: a cancelled drain buries nothing")
}

// A drain cut short by shutdown is no failure: nothing is logged at ERROR
// and nothing counted (a clean SIGTERM logged "inbox drain failed …
// context canceled"); its entries wait for the final drain or the next
// start.
func TestDrainCancelledAtShutdownIsNoFailure(t *testing.T) {
	var logs bytes.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	d, err := NewInboxDrain(cancelledStore{cancel}, InboxDrainConfig{Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	d.drainAll(ctx)
	var m dto.Metric
	if err := d.failures.Write(&m); err != nil {
		t.Fatal(err)
	}
	if n := m.GetCounter().GetValue(); n != 0 || logs.Len() > 0 {
		t.Fatalf("a cancelled drain counted %v failures and logged %s", n, logs.String())
	}
}
