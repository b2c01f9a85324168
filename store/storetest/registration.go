package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/paysync/paysync/store"
)

// testConcurrentRegistration: many writers register one checkout at once.
// Exactly one creates it; every other call answers with that same
// checkout, none fails (an insert that loses the race finds the winner).
func testConcurrentRegistration(t *testing.T, r *rig) {
	const n = 16
	ids := make([]string, n)
	created := make([]bool, n)
	errs := make([]error, n)
	in := r.registration("order-1", r.clock.Now())
	together(n, func(i int) {
		c, ok, err := r.db.RegisterCheckout(context.Background(), in)
		ids[i], created[i], errs[i] = c.ID, ok, err
	})
	wins := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("registration %d: %v", i, errs[i])
		}
		if ids[i] != ids[0] {
			t.Fatalf("registration %d answered %s, another %s: one checkout registered twice", i, ids[i], ids[0])
		}
		if created[i] {
			wins++
		}
	}
	if wins != 1 {
		t.Fatalf("%d registrations said created, want exactly 1", wins)
	}
	page, _, err := r.db.ListCheckouts(context.Background(), r.merchant.ID, store.CheckoutFilter{Reference: "order-1"})
	if err != nil || len(page) != 1 {
		t.Fatalf("ListCheckouts(order-1) = %d rows, %v; want 1", len(page), err)
	}
}

// testConcurrentIdempotencyKey: one idempotency key with different
// references, at once: one checkout, the others are repeats or conflicts.
func testConcurrentIdempotencyKey(t *testing.T, r *rig) {
	const n = 8
	var mu sync.Mutex
	seen := map[string]bool{}
	created := 0
	together(n, func(i int) {
		in := r.registration("order-1", r.clock.Now())
		in.IdempotencyKey = "idem-1"
		c, ok, err := r.db.RegisterCheckout(context.Background(), in)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			t.Errorf("registration %d: %v", i, err)
			return
		}
		seen[c.ID] = true
		if ok {
			created++
		}
	})
	if len(seen) != 1 || created != 1 {
		t.Fatalf("%d checkouts seen, %d created; want 1 and 1", len(seen), created)
	}
}

// testCallbackRacesRegistration: each checkout's callback arrives at the
// same moment as its registration. Whichever commits first, the callback
// ends up on its checkout (matched, or adopted at registration), logged
// once, and the checkout is due at once: never stored unmatched and
// forgotten.
func testCallbackRacesRegistration(t *testing.T, r *rig) {
	ctx := context.Background()
	const n = 24
	later := r.clock.Now().Add(60e9) // the poll grace: only the callback makes it due now
	ids := make([]string, n)
	together(2*n, func(i int) {
		ref := fmt.Sprintf("race-%d", i/2)
		if i%2 == 0 {
			c, _, err := r.db.RegisterCheckout(ctx, r.registration(ref, later))
			if err != nil {
				t.Errorf("register %s: %v", ref, err)
			}
			ids[i/2] = c.ID
			return
		}
		if _, err := r.db.RecordNotification(ctx, store.Notification{MerchantID: r.merchant.ID, Provider: store.ProviderPayUnit,
			TransactionID: ref, Status: "SUCCESS", Body: []byte(`{"transaction_id":"` + ref + `"}`)}); err != nil {
			t.Errorf("notify %s: %v", ref, err)
		}
	})
	now := r.clock.Now()
	for i, id := range ids {
		c, err := r.db.Checkout(ctx, r.merchant.ID, id)
		if err != nil {
			t.Fatalf("checkout race-%d: %v", i, err)
		}
		if c.CallbackReceivedAt == nil || c.NextCheckAt == nil || c.NextCheckAt.After(now) {
			t.Errorf("race-%d: callback_received_at %v, next check %v: its callback was lost", i, c.CallbackReceivedAt, c.NextCheckAt)
		}
		evs, err := r.db.Events(ctx, r.merchant.ID, id)
		if err != nil {
			t.Fatal(err)
		}
		if callbacks := countEvents(evs, store.EventCallbackReceived); callbacks != 1 {
			t.Errorf("race-%d: %d callback_received events, want 1", i, callbacks)
		}
	}
}

// testConcurrentRotations: secret rotations at once chain: every secret
// handed out still signs afterwards (the current one, or replaced and
// within its overlap), and so does the one from before the round; a
// rotation that read stale secrets and overwrote another would lose one.
func testConcurrentRotations(t *testing.T, r *rig) {
	ctx := context.Background()
	const rounds, n = 4, 8
	for round := range rounds {
		r.clock.Advance(2 * time.Hour) // past the last round's overlaps
		before, err := r.db.WebhookEndpoint(ctx, r.merchant.ID)
		if err != nil {
			t.Fatal(err)
		}
		secrets := make([]string, n)
		together(n, func(i int) {
			s, _, err := r.db.RotateWebhookSecret(ctx, r.merchant.ID, time.Hour)
			if err != nil {
				t.Errorf("rotation %d: %v", i, err)
			}
			secrets[i] = s
		})
		ep, err := r.db.WebhookEndpoint(ctx, r.merchant.ID)
		if err != nil {
			t.Fatal(err)
		}
		signing := map[string]bool{}
		for _, s := range ep.Secrets {
			signing[s] = true
		}
		for _, s := range append(secrets, before.Secrets[0]) {
			if !signing[s] {
				t.Fatalf("round %d: after %d rotations at once a secret handed out no longer signs (%d sign): a rotation read stale secrets and was lost",
					round, n, len(ep.Secrets))
			}
		}
	}
}
