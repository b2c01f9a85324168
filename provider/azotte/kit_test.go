package azotte_test

import (
	"testing"

	"github.com/paysync/paysync/provider/azotte"
	"github.com/paysync/paysync/provider/plugin"
	"github.com/paysync/paysync/provider/providertest"
)

// TestKit runs the provider test kit against Azotte, with the answers of
// the seed documents (testdata/). Azotte sends no callbacks.
func TestKit(t *testing.T) {
	t.Parallel()
	td := func(name string) []byte { return providertest.Testdata(t, name) }
	providertest.Run(t, providertest.Suite{
		Descriptor: azotte.Descriptor(),
		Account: func(baseURL string) plugin.Account {
			return plugin.Account{BaseURL: baseURL + "/api/v1", TenantID: "tn", APIKey: "k"}
		},
		Checkout: plugin.Checkout{ProviderRef: "trk_01HZ9XPZ3K2A8E0VBVQH7N9XGB"},
		Samples: []providertest.Sample{
			{Name: "done", Body: td("status_done.json"), Want: plugin.StateSucceeded},
			{Name: "processing", Body: td("status_processing.json"), Want: plugin.StatePending},
			{Name: "3ds required", Body: td("status_3ds_required.json"), Want: plugin.StateActionRequired},
			{Name: "3ds html", Body: td("status_3ds_html.json"), Want: plugin.StateActionRequired},
			{Name: "failed", Body: td("status_failed.json"), Want: plugin.StateFailed},
		},
		Ambiguous: []providertest.Sample{
			{Name: "3ds without a usable redirect", Body: []byte(`{"trackingNumber":"trk_01HZ9XPZ3K2A8E0VBVQH7N9XGB","status":{"messageCode":"CHECK_OUT_3DS_REQUIRED"},"redirectInstructions":{"redirectUrl":"javascript:alert(1)"}}`)},
			{Name: "unknown code", Body: []byte(`{"trackingNumber":"trk_01HZ9XPZ3K2A8E0VBVQH7N9XGB","status":{"messageCode":"CHECK_OUT_MAYBE"}}`)},
			{Name: "folded code", Body: []byte(`{"trackingNumber":"trk_01HZ9XPZ3K2A8E0VBVQH7N9XGB","status":{"messageCode":"check_out_done"}}`)},
		},
		DuplicateKeys: []providertest.Sample{
			{Name: "duplicate messageCode (testdata)", Body: td("status_duplicate_code.json")},
			{Name: "case-folded duplicate", Body: []byte(`{"status":{"messageCode":"CHECK_OUT_PROCESSING","MessageCode":"CHECK_OUT_DONE"}}`)},
			{Name: "duplicate trackingNumber", Body: []byte(`{"trackingNumber":"trk_a","trackingNumber":"trk_b","status":{"messageCode":"CHECK_OUT_DONE"}}`)},
		},
	})
}
