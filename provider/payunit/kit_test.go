package payunit_test

import (
	"testing"

	"github.com/paysync/paysync/provider/payunit"
	"github.com/paysync/paysync/provider/plugin"
	"github.com/paysync/paysync/provider/providertest"
)

// TestKit runs the provider test kit against PayUnit, with the answers
// and callbacks of the seed documents (testdata/).
func TestKit(t *testing.T) {
	t.Parallel()
	td := func(name string) []byte { return providertest.Testdata(t, name) }
	answer := func(status, txn, mode string) []byte {
		return []byte(`{"data":{"status":"` + status + `","checkout_id":"co-1","transaction_id":"` + txn +
			`","total_amount":10,"currency":"XAF","checkout_mode":"` + mode + `"}}`)
	}
	seed := plugin.Callback{TransactionID: "Pu-CK-1688997260698", CheckoutID: "PU_payment_8da2310b-a9d5-4c9c-836e-9cc13b718939", Status: "SUCCESS"}
	providertest.Run(t, providertest.Suite{
		Descriptor: payunit.Descriptor(),
		Account: func(baseURL string) plugin.Account {
			return plugin.Account{BaseURL: baseURL, APIUser: "u", APIPassword: "p", APIKey: "k", Mode: "test"}
		},
		Checkout: plugin.Checkout{Reference: "Pu-CK-1688997260698"},
		Samples: []providertest.Sample{
			{Name: "success", Body: td("status_success.json"), Want: plugin.StateSucceeded},
			{Name: "pending", Body: td("status_pending.json"), Want: plugin.StatePending},
			{Name: "failed", Body: td("status_failed.json"), Want: plugin.StateFailed},
		},
		Ambiguous: []providertest.Sample{
			{Name: "success for another transaction", Body: answer("SUCCESS", "someone-else", "TEST")},
			{Name: "success in live mode for a test account", Body: answer("SUCCESS", "Pu-CK-1688997260698", "LIVE")},
			{Name: "unknown status", Body: answer("PAID", "Pu-CK-1688997260698", "TEST")},
			{Name: "lower-case status", Body: answer("success", "Pu-CK-1688997260698", "TEST")},
		},
		DuplicateKeys: []providertest.Sample{
			{Name: "duplicate data.status (testdata)", Body: td("status_duplicate_status.json")},
			{Name: "duplicate data", Body: []byte(`{"data":{"status":"PENDING"},"data":{"status":"SUCCESS","transaction_id":"Pu-CK-1688997260698","total_amount":10,"currency":"XAF","checkout_mode":"TEST"}}`)},
		},
		Callbacks: []providertest.Callback{
			{Name: "json", ContentType: "application/json", Body: td("notify_json.json"), Want: seed},
			{Name: "form", ContentType: "application/x-www-form-urlencoded", Body: td("notify_form.txt"), Want: seed},
		},
		Start: &providertest.StartSuite{
			Request: plugin.StartRequest{Reference: "order1042", Amount: "2500", Currency: "XAF",
				NotifyURL: "https://paysync.example/hooks/payunit/tok", ReturnURL: "https://paysync.example/pay/ck/return"},
			Answers: []providertest.StartSample{
				{Name: "started", Code: 200, Body: td("initialize_success.json"), Want: plugin.StartOK},
				{Name: "started with checkout_id", Code: 200, Body: td("initialize_success_checkout_id.json"), Want: plugin.StartOK},
				{Name: "400", Code: 400, Body: td("initialize_refused_400.json"), Want: plugin.StartRefused},
				{Name: "refused in the body", Code: 200, Body: td("initialize_refused_in_body.json"), Want: plugin.StartRefused},
				{Name: "no transaction_url", Code: 200, Body: td("initialize_no_url.json"), Want: plugin.StartUnknown},
				{Name: "transaction_url twice", Code: 200, Body: td("initialize_duplicate_url.json"), Want: plugin.StartUnknown},
			},
		},
	})
}
