package poller

import (
	"testing"
	"time"

	"github.com/paysync/paysync/sandbox"
	"github.com/paysync/paysync/store"
)

// TestCallbackFloodOnOneCheckoutLeavesTheBudgetToOthers (issue 22, point
// 5): 5 callbacks every 100 ms for 4 s name one registered checkout of the
// merchant (references are often sequential: an outsider can name real
// ones); each wakes it. With WakeGap that checkout is checked at most
// twice per 2 s, so the merchant's budget (2 checks a second here) is
// still there when the buyer of the merchant's real checkout pays and its
// callback comes: it settles in the pass its callback wakes. Before, every
// wake was a check, the flood spent the whole budget, and the real
// checkout waited behind it.
func TestCallbackFloodOnOneCheckoutLeavesTheBudgetToOthers(t *testing.T) {
	t.Parallel()
	b := setup(t, options{cfg: Config{Concurrency: 1, MerchantRate: 2, MerchantBurst: 2}})
	later := b.clock.Now().Add(time.Hour)
	noisy, puNoisy := b.registerPayUnit(t, b.merchant, "Pu-0001", sandbox.ScenarioPaysLost, later)
	real, puReal := b.registerPayUnit(t, b.merchant, "Pu-0002", sandbox.ScenarioPaysLost, later)
	callback := func(ref string) {
		t.Helper()
		if _, err := b.db.RecordNotification(b.ctx, store.Notification{MerchantID: b.merchant.ID, Provider: store.ProviderPayUnit,
			TransactionID: ref, Status: "SUCCESS", Body: []byte(`{"transaction_id":"` + ref + `"}`)}); err != nil {
			t.Fatal(err)
		}
	}
	settledAfter := -1
	for step := 0; step < 40; step++ {
		for range 5 {
			callback(noisy.Reference)
		}
		if step == 20 { // the real buyer pays; PayUnit's callback comes
			if err := b.payunit.SetStatus(puReal, sandbox.StatusSuccess); err != nil {
				t.Fatal(err)
			}
			callback(real.Reference)
		}
		if _, err := b.poller.RunOnce(b.ctx); err != nil {
			t.Fatal(err)
		}
		if settledAfter < 0 && b.get(t, real.ID).State == store.StateSucceeded {
			settledAfter = step - 20
		}
		b.clock.Advance(100 * time.Millisecond)
	}
	checks := b.payunit.Checks(puNoisy)
	t.Logf("flooded checkout: 200 callbacks in 4 s, %d status checks; real checkout settled %d passes after its callback", checks, settledAfter)
	if checks > 2*(4/2+1) {
		t.Errorf("the flooded checkout was checked %d times in 4 s; want at most 2 per 2 s", checks)
	}
	if settledAfter != 0 {
		t.Errorf("the real checkout settled %d passes (100 ms each) after its callback; want in the pass it woke", settledAfter)
	}
}
