package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/paysync/paysync/store"
)

// TestCallbackMarkAndWakeAreOneUpdate: MarkAndWake, the store's shortcut
// for a callback's MarkCallbackReceived and the Wake right after it, gives
// the checkout one new row version, not two (a trigger of the test counts the updates of checkouts), with what
// the two did: the mark, the wake (due now, attempts reset, wake_seq and
// rev bumped as by both). A checkout settled in between (its state read
// before, the update finding it terminal) is marked and not woken.
func TestCallbackMarkAndWakeAreOneUpdate(t *testing.T) {
	ctx := context.Background()
	b := openTest(t)
	defer b.Close()
	now := time.Now().Truncate(time.Millisecond)
	seedDue(t, b, "k-", 2, ms(now.Add(time.Hour)))
	for _, stmt := range []string{
		`UPDATE checkouts SET attempts = 3, rev = 10, state = CASE WHEN id = 'k-2' THEN 'succeeded' ELSE state END,
			next_check_at = CASE WHEN id = 'k-2' THEN NULL ELSE next_check_at END`,
		`CREATE TABLE updates_seen (id TEXT)`,
		`CREATE FUNCTION updates_count() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN INSERT INTO updates_seen VALUES (NEW.id); RETURN NULL; END $$`,
		`CREATE TRIGGER updates_count AFTER UPDATE ON checkouts FOR EACH ROW EXECUTE FUNCTION updates_count()`,
	} {
		if _, err := b.pool.Exec(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range []string{"k-1", "k-2"} {
		if err := b.Write(ctx, func(tx store.Tx) error {
			mw, ok := tx.(interface {
				MarkAndWake(context.Context, string, time.Time, string, time.Time) error
			})
			if !ok {
				t.Fatal("PostgreSQL's Tx has no MarkAndWake: the store would mark and wake in two updates")
			}
			return mw.MarkAndWake(ctx, id, now.Add(-time.Second), store.SourceCallback, now)
		}); err != nil {
			t.Fatal(err)
		}
	}
	type row struct {
		updates, attempts, rev, wakeSeq int64
		marked, due                     *int64
	}
	want := map[string]row{
		"k-1": {updates: 1, attempts: 0, rev: 12, wakeSeq: 1},
		"k-2": {updates: 1, attempts: 3, rev: 11, wakeSeq: 0},
	}
	for id, w := range want {
		var r row
		if err := b.pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM updates_seen WHERE id = $1), attempts, rev, wake_seq,
			callback_received_at, next_check_at FROM checkouts WHERE id = $1`, id).Scan(&r.updates, &r.attempts, &r.rev, &r.wakeSeq, &r.marked, &r.due); err != nil {
			t.Fatal(err)
		}
		if r.updates != w.updates || r.attempts != w.attempts || r.rev != w.rev || r.wakeSeq != w.wakeSeq {
			t.Errorf("%s: %d updates, attempts %d, rev %d, wake_seq %d; want %d, %d, %d, %d",
				id, r.updates, r.attempts, r.rev, r.wakeSeq, w.updates, w.attempts, w.rev, w.wakeSeq)
		}
		if r.marked == nil || *r.marked != ms(now.Add(-time.Second)) {
			t.Errorf("%s: callback_received_at %v, want the callback's time", id, r.marked)
		}
		if woken := r.due != nil && *r.due == ms(now); woken != (id == "k-1") {
			t.Errorf("%s: next_check_at %v (now %d): woken %v", id, r.due, ms(now), woken)
		}
	}
}
