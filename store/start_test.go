package store

import (
	"testing"
	"time"
)

// TestDecideStartNeverSettlesSucceeded: whatever a start reports, on a
// checkout in any state, the only transition is pending → failed (a
// refusal without a pay URL), a settled checkout never changes, and a
// pay URL is recorded only on a checkout not settled.
func TestDecideStartNeverSettlesSucceeded(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 3, 15, 0, 0, 0, time.UTC)
	states := []State{StatePending, StateActionRequired, StateSucceeded, StateFailed, StateCancelled, StateExpired}
	outcomes := []StartOutcome{StartStarted, StartRefused, StartUnknown, "succeeded", ""}
	for _, st := range states {
		for _, payURL := range []string{"", "https://pay.example/old"} {
			for _, o := range outcomes {
				c := Checkout{ID: "chk_1", State: st, PayURL: payURL, Version: 3}
				d := decideStart(c, StartResult{CheckoutID: c.ID, Outcome: o, PayURL: "https://pay.example/new",
					ProviderRef: "PU_1", Message: "no"}, now)
				n := d.next
				switch {
				case n.State == StateSucceeded && st != StateSucceeded:
					t.Errorf("%s %q %s: settled succeeded", st, payURL, o)
				case st.Terminal() && (n.State != st || n.Version != c.Version || n.PayURL != payURL):
					t.Errorf("%s %q %s: a settled checkout changed: %+v", st, payURL, o, n)
				case n.State != st && !(st == StatePending && payURL == "" && o == StartRefused && n.State == StateFailed):
					t.Errorf("%s %q %s: moved to %s", st, payURL, o, n.State)
				case o == StartStarted && !st.Terminal() && (n.PayURL != payURL && payURL != "" || n.PayURL == ""):
					t.Errorf("%s %q %s: pay URL %q", st, payURL, o, n.PayURL)
				}
				if len(d.events) == 0 || d.events[0].Type != EventPaymentStarted || d.events[0].Source != ByPaysync {
					t.Errorf("%s %q %s: events %+v, want payment_started from paysync first", st, payURL, o, d.events)
				}
			}
		}
	}
}
