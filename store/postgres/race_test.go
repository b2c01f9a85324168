package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/paysync/paysync/internal/testwait"
	"github.com/paysync/paysync/store"
)

// waitingOnLock reports whether some session of the database waits on a lock.
func waitingOnLock(t *testing.T, b *Backend) bool {
	t.Helper()
	var n int
	if err := b.pool.QueryRow(context.Background(),
		`SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n > 0
}

// finishesOrWaits waits until the statement what, running beside a
// transaction the test holds open, either finishes (done yields: finished
// is true, with its error) or waits on a lock (finished is false: the
// caller reads done once it lets the held transaction go).
func finishesOrWaits(t *testing.T, b *Backend, what string, done <-chan error) (finished bool, err error) {
	t.Helper()
	testwait.For(t, what+" to finish or to wait on a lock", func() bool {
		select {
		case err = <-done:
			finished = true
			return true
		default:
			return waitingOnLock(t, b)
		}
	})
	return finished, err
}

// TestEnqueueSerializesWithEnable: an outbox write that read the endpoint
// disabled (WebhookTarget) and an EnableEndpoint racing it. The enable
// must not commit in between (the target read is locked for share), or
// the delivery would be inserted held after the enable released the held
// ones, and never go out. The test holds the outbox transaction open
// after its read, starts the enable, and lets the outbox commit only once
// the enable either finished (the race, a defect) or waits on the lock.
func TestEnqueueSerializesWithEnable(t *testing.T) {
	ctx := context.Background()
	b, db, m := openTestStore(t)
	c, _, err := db.RegisterCheckout(ctx, store.NewCheckout{MerchantID: m.ID, Provider: store.ProviderPayUnit, Reference: "A",
		Amount: "2500", Currency: "XAF", FirstCheckAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Write(ctx, func(tx store.Tx) error { return tx.DisableEndpoint(ctx, m.ID, time.Now()) }); err != nil {
		t.Fatal(err)
	}
	read, proceed := make(chan struct{}), make(chan struct{})
	outbox := make(chan error, 1)
	go func() { // enqueueDeliveries' part of an Apply
		outbox <- b.Write(ctx, func(tx store.Tx) error {
			_, disabled, err := tx.WebhookTarget(ctx, m.ID)
			if err != nil {
				return err
			}
			close(read)
			<-proceed
			status, next := store.DeliveryPending, new(time.Time)
			*next = time.Now()
			if disabled {
				status, next = store.DeliveryDisabled, nil
			}
			return tx.InsertDelivery(ctx, store.Delivery{ID: "msg_race", MerchantID: m.ID, CheckoutID: c.ID, Version: 2,
				Type: store.WebhookSucceeded, Checkout: c, Status: status, NextAttemptAt: next, CreatedAt: time.Now(), UpdatedAt: time.Now()})
		})
	}()
	<-read
	enabled := make(chan error, 1)
	go func() { _, err := db.EnableWebhook(ctx, m.ID); enabled <- err }()
	finishedFirst, enableErr := finishesOrWaits(t, b, "the enable", enabled)
	close(proceed)
	if err := <-outbox; err != nil {
		t.Fatal(err)
	}
	if !finishedFirst {
		enableErr = <-enabled
	}
	if enableErr != nil {
		t.Fatal(enableErr)
	}
	if finishedFirst {
		t.Error("the enable committed while the outbox transaction that read the endpoint disabled was open")
	}
	ds, err := db.Deliveries(ctx, m.ID, store.DeliveryFilter{})
	if err != nil || len(ds) != 1 {
		t.Fatalf("deliveries = %d, %v", len(ds), err)
	}
	if ds[0].Status != store.DeliveryPending {
		t.Fatalf("delivery is %s with the endpoint enabled: it would never be sent", ds[0].Status)
	}
}
