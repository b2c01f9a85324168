package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/paysync/paysync/store"
)

// UnmatchedCounts, the early callback's one read of its merchant's
// bounds, answers what RecentUnmatched and UnmatchedTotals answer, for a
// merchant with unmatched callbacks old and recent (one adopted since),
// and one with none.
func TestUnmatchedCountsIsRecentAndTotals(t *testing.T) {
	clock := newFakeClock()
	db := newTestDB(t, clock.Now)
	ctx := context.Background()
	m, quiet := newTestMerchant(t, db), newTestMerchant(t, db)
	for i := range 5 {
		if _, err := db.RecordNotification(ctx, store.Notification{MerchantID: m.ID, Provider: store.ProviderPayUnit,
			TransactionID: fmt.Sprintf("early-%d", i), Status: "SUCCESS", Body: make([]byte, 10*(i+1))}); err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Second)
	}
	mustRegister(t, db, newPayUnitCheckout(m, "early-3", clock.Now())) // adopts one
	for _, tc := range []struct {
		merchant string
		since    time.Time
	}{{m.ID, clock.Now().Add(-3 * time.Second)}, {m.ID, clock.Now().Add(-time.Hour)}, {m.ID, clock.Now()}, {quiet.ID, clock.Now().Add(-time.Hour)}} {
		err := db.exec(ctx, func(t *sql.Tx) error {
			w := &tx{Tx: t, b: db.b}
			recent, oldest, err := w.RecentUnmatched(ctx, tc.merchant, tc.since)
			if err != nil {
				return err
			}
			count, bytes, err := w.UnmatchedTotals(ctx, tc.merchant)
			if err != nil {
				return err
			}
			r, o, c, b, err := w.UnmatchedCounts(ctx, tc.merchant, tc.since)
			if err != nil {
				return err
			}
			if r != recent || !o.Equal(oldest) || c != count || b != bytes {
				return fmt.Errorf("since %v: UnmatchedCounts = %d, %v, %d, %d; the two reads %d, %v, %d, %d",
					tc.since, r, o, c, b, recent, oldest, count, bytes)
			}
			return nil
		})
		if err != nil {
			t.Error(err)
		}
	}
}
