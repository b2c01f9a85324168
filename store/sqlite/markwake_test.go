package sqlite

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/paysync/paysync/store"
)

// MarkAndWake, the drain's one update of a woken checkout, leaves every
// row as MarkCallbackReceived then Wake leave it: a checkout due, one
// whose check is in flight (it keeps its lease), one already marked
// (the first callback's time stays) and a settled one (only marked).
func TestMarkAndWakeIsMarkThenWake(t *testing.T) {
	clock := newFakeClock()
	db := newTestDB(t, clock.Now)
	ctx := context.Background()
	m := newTestMerchant(t, db)
	now := clock.Now()
	at := now.Add(-3 * time.Second)
	for _, tc := range []struct {
		name  string
		setup string // run on both rows first
	}{
		{"due", ``},
		{"leased", `UPDATE checkouts SET lease_until = ?1 + 60000, next_check_at = ?1 + 60000, attempts = 3 WHERE id = ?2`},
		{"lease over", `UPDATE checkouts SET lease_until = ?1 - 1, next_check_at = ?1 - 1, attempts = 2 WHERE id = ?2`},
		{"marked", `UPDATE checkouts SET callback_received_at = ?1 - 50000 WHERE id = ?2`},
		{"settled", `UPDATE checkouts SET state = 'succeeded', next_check_at = NULL, attempts = 4, wake_reason = 'poll' WHERE id = ?2`},
	} {
		old := mustRegister(t, db, newPayUnitCheckout(m, tc.name+"-old", now.Add(time.Hour)))
		neu := mustRegister(t, db, newPayUnitCheckout(m, tc.name+"-new", now.Add(time.Hour)))
		err := db.exec(ctx, func(t *sql.Tx) error {
			for _, id := range []string{old.ID, neu.ID} {
				if tc.setup != "" {
					if _, err := t.Exec(tc.setup, ms(now), id); err != nil {
						return err
					}
				}
			}
			w := &tx{Tx: t, b: db.b}
			if err := w.MarkCallbackReceived(ctx, old.ID, at); err != nil {
				return err
			}
			if err := w.Wake(ctx, old.ID, store.SourceCallback, now); err != nil {
				return err
			}
			return w.MarkAndWake(ctx, neu.ID, at, store.SourceCallback, now)
		})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		const cols = `SELECT state, callback_received_at, next_check_at, lease_until, attempts, wake_reason, wake_seq FROM checkouts WHERE id = ?`
		var rows [2][7]sql.NullString
		for i, id := range []string{old.ID, neu.ID} {
			r := &rows[i]
			if err := db.read.QueryRow(cols, id).Scan(&r[0], &r[1], &r[2], &r[3], &r[4], &r[5], &r[6]); err != nil {
				t.Fatal(err)
			}
		}
		if rows[0] != rows[1] {
			t.Errorf("%s: Mark then Wake left %v, MarkAndWake %v", tc.name, rows[0], rows[1])
		}
		if rev, err := db.CheckoutRev(ctx, m.ID, neu.ID); err != nil || rev <= neu.Rev {
			t.Errorf("%s: rev %d after MarkAndWake, %v; want above %d", tc.name, rev, err, neu.Rev)
		}
	}
}
