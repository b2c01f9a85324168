package app

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/paysync/paysync/store"
)

// TestInboxLeftByAProcessIsDrainedAtStart: callbacks acknowledged into the
// inbox by a process that died before draining them are processed when
// the service starts again (attached, logged, their checkout due), and
// /metrics counts them.
func TestInboxLeftByAProcessIsDrainedAtStart(t *testing.T) {
	ctx := context.Background()
	cfg := testConfig(t)
	m, err := CreateMerchant(ctx, cfg, store.NewMerchant{Name: "acme", PayUnit: &store.PayUnitAccount{
		BaseURL: "http://127.0.0.1:1", APIUser: "u", APIPassword: "p", APIKey: "k", Mode: "test"}})
	if err != nil {
		t.Fatal(err)
	}
	db, _, err := openStore(ctx, cfg, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	c, _, err := db.RegisterCheckout(ctx, store.NewCheckout{MerchantID: m.ID, Provider: store.ProviderPayUnit,
		Reference: "left-behind", Amount: "10", Currency: "XAF", FirstCheckAt: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		acc, err := db.AcceptNotification(ctx, store.Notification{MerchantID: m.ID, Provider: store.ProviderPayUnit,
			TransactionID: "left-behind", Status: "SUCCESS", Body: []byte(`{"transaction_id":"left-behind"}`)})
		if err != nil || !acc.Queued {
			t.Fatalf("accept = %+v, %v", acc, err)
		}
	}
	db.Close() // as a kill would: nothing drained

	a, err := Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Shutdown()
	deadline := time.Now().Add(10 * time.Second)
	for {
		tl, err := a.Store().CheckoutTimeline(ctx, store.OperatorScope(), c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(tl.Notifications) == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of 3 callbacks left in the inbox were processed after the start", len(tl.Notifications))
		}
		time.Sleep(5 * time.Millisecond) // polling a condition with a deadline
	}
	if text := metricsText(t, a); !strings.Contains(text, "paysync_inbox_drained_total 3") {
		t.Fatalf("/metrics lacks the drained count:\n%s", grepLines(text, "paysync_inbox"))
	}
}
