// Package providertest is the test kit every provider plug-in passes, the
// way store/storetest runs against every backend: a provider package gives
// Run its Suite (its Descriptor, recorded answers from the seed documents
// in its testdata/, the answers it must refuse, its callbacks) and the kit
// checks what paysync relies on of any provider: samples understood,
// ambiguous answers and duplicate keys refused, Retry-After honoured,
// reads bounded, failures classified for the schedule and the circuit
// breaker, callbacks parsed or refused with the provider's errors, and,
// for a provider that starts payments, its start call's answers told
// apart (started, refused, unknown).
package providertest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/paysync/paysync/provider/plugin"
)

// Suite is what a provider gives the kit.
type Suite struct {
	// Descriptor is the provider under test.
	Descriptor plugin.Descriptor
	// Account returns a merchant's account whose status API is at baseURL
	// (an httptest server of the kit).
	Account func(baseURL string) plugin.Account
	// Checkout is the checkout the samples are about.
	Checkout plugin.Checkout
	// Samples are status answers (HTTP 200) recorded from the seed
	// documents, each with the state it means; at least one.
	Samples []Sample
	// Ambiguous are 200 answers that must not settle the checkout: each
	// gives no terminal state, or one blocked by an anomaly.
	Ambiguous []Sample
	// DuplicateKeys are 200 answers naming a member twice: each is
	// refused (no state, a failure), never read first- or last-wins.
	DuplicateKeys []Sample
	// Callbacks are callback bodies and what they say; none when the
	// Descriptor has no ParseCallback.
	Callbacks []Callback
	// Start is what the kit checks of starting a payment; nil exactly
	// when the Descriptor has no Start.
	Start *StartSuite
}

// Sample is one recorded answer of a provider's status API.
type Sample struct {
	Name string
	Body []byte
	Want plugin.State // for Samples: the state it reports
}

// Callback is one recorded callback and what it names.
type Callback struct {
	Name        string
	ContentType string
	Body        []byte
	Want        plugin.Callback
}

// Testdata returns the file name under the calling package's testdata/.
func Testdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Run runs the kit against s.
func Run(t *testing.T, s Suite) {
	t.Run("Descriptor", func(t *testing.T) { testDescriptor(t, s) })
	t.Run("Samples", func(t *testing.T) { testSamples(t, s) })
	t.Run("AmbiguousRefused", func(t *testing.T) { testAmbiguous(t, s) })
	t.Run("DuplicateKeysRefused", func(t *testing.T) { testDuplicateKeys(t, s) })
	t.Run("RetryAfterHonoured", func(t *testing.T) { testRetryAfter(t, s) })
	t.Run("BoundedRead", func(t *testing.T) { testBoundedRead(t, s) })
	t.Run("ErrorsClassified", func(t *testing.T) { testErrors(t, s) })
	t.Run("Callbacks", func(t *testing.T) { testCallbacks(t, s) })
	t.Run("Start", func(t *testing.T) { testStart(t, s) })
}
