package store

import (
	"testing"
	"time"
)

// TestDecideComparesCurrencyCodesAsASCII: a success is settled on a
// currency equal to the registered one up to ASCII case only; Unicode
// look-alikes that case folding would equate (the Kelvin sign for K, a
// dotless ı) are a currency_mismatch.
func TestDecideComparesCurrencyCodesAsASCII(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 3, 14, 10, 0, 0, 0, time.UTC)
	c := Checkout{ID: "chk_1", MerchantID: "mer_1", Provider: ProviderPayUnit, Reference: "r", Amount: "10",
		Currency: "KES", State: StatePending, Version: 1}
	for currency, settles := range map[string]bool{"KES": true, "kes": true, "Kes": true,
		"\u212aES": false, "KE\u017f": false, "KE": false, "KESS": false, "": false} {
		d := decide(c, Observation{Checked: true, State: StateSucceeded, ProviderStatus: "SUCCESS",
			Amount: "10", Currency: currency, ResolvedBy: SourcePoll, Attempts: 1}, now)
		if got := d.next.State == StateSucceeded; got != settles {
			t.Errorf("currency %q: state %s anomaly %+v, want settled %v", currency, d.next.State, d.next.Anomaly, settles)
		}
	}
}
