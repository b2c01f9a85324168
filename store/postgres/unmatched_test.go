package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/paysync/paysync/store"
)

// TestEarlyCallbacksDontWaitOnEachOther: two early callbacks of one
// merchant, stored by two transactions at once. With one totals row per
// merchant (migration 0009) the second waited on the first's row until it
// committed; with the rows of 0017 it takes a row nobody holds. The test
// holds the first transaction open after its insert and lets it commit
// only once the second either committed or waits on a lock (the defect);
// then the totals count both.
func TestEarlyCallbacksDontWaitOnEachOther(t *testing.T) {
	ctx := context.Background()
	b, _, m := openTestStore(t)
	early := func(tx store.Tx, ref string) error {
		_, err := tx.InsertNotification(ctx, store.Notification{MerchantID: m.ID, Provider: store.ProviderPayUnit,
			TransactionID: ref, Status: "SUCCESS", ContentType: "application/json", Body: []byte(`{"a":1}`)}, "", time.Now())
		return err
	}
	inserted, proceed := make(chan struct{}), make(chan struct{})
	first := make(chan error, 1)
	go func() {
		first <- b.Write(ctx, func(tx store.Tx) error {
			if err := early(tx, "A"); err != nil {
				return err
			}
			close(inserted)
			<-proceed
			return nil
		})
	}()
	<-inserted
	second := make(chan error, 1)
	go func() { second <- b.Write(ctx, func(tx store.Tx) error { return early(tx, "B") }) }()
	committed, secondErr := finishesOrWaits(t, b, "the second early callback", second)
	close(proceed)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if !committed {
		secondErr = <-second
		t.Error("the second early callback of the merchant waited for the first one's commit")
	}
	if secondErr != nil {
		t.Fatal(secondErr)
	}
	var n int
	var bytes int64
	if err := b.Write(ctx, func(tx store.Tx) error {
		var err error
		n, bytes, err = tx.UnmatchedTotals(ctx, m.ID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if n != 2 || bytes != 14 {
		t.Fatalf("totals = %d callbacks, %d bytes; want 2, 14", n, bytes)
	}
}
