package payunit

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseStatusTestdata(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file, status, message string
	}{
		{"status_success.json", "SUCCESS", "If you have not yet received an alert, please dial #150*50# and enter your PIN to confirm the payment "},
		{"status_pending.json", "PENDING", "If you have not yet received an alert, please dial #150*50# and enter your PIN to confirm the payment "},
		{"status_failed.json", "FAILED", "Transaction failed: insufficient balance"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			got, err := ParseStatus(readTestdata(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			want := Result{
				Status:         tt.status,
				CheckoutID:     "PU_payment_8da2310b-a9d5-4c9c-836e-9cc13b718939",
				TransactionIDs: []string{"IY74m4ayzWU8Wgo", "Pu-CK-1688997260698"},
				Amount:         "10",
				Currency:       "XAF",
				CheckoutMode:   "TEST",
				Message:        tt.message,
			}
			if !equalResult(got, want) {
				t.Errorf("ParseStatus = %+v\nwant %+v", got, want)
			}
			if !got.HasTransactionID("Pu-CK-1688997260698") || got.HasTransactionID("") {
				t.Errorf("HasTransactionID wrong for %v", got.TransactionIDs)
			}
		})
	}
}

func TestParseStatusHTML(t *testing.T) {
	t.Parallel()
	_, err := ParseStatus(readTestdata(t, "status_html_error.html"))
	if !errors.Is(err, ErrMalformed) {
		t.Fatalf("err = %v, want ErrMalformed", err)
	}
}

func TestParseStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body string
		want Result // compared when ok
		ok   bool
	}{
		{
			name: "top-level success is not the verdict",
			body: `{"status":"SUCCESS","data":{"status":"PENDING","total_amount":10}}`,
			want: Result{Status: "PENDING", Amount: "10"},
			ok:   true,
		},
		{
			name: "amount as string, lower-case codes, status trimmed and kept as sent",
			body: `{"data":{"status":" cancelled\n","total_amount":"010.50","currency":"xaf","checkout_mode":"live"}}`,
			want: Result{Status: "cancelled", Amount: "10.5", Currency: "XAF", CheckoutMode: "LIVE"},
			ok:   true,
		},
		{
			name: "large and exponent amounts stay exact",
			body: `{"data":{"status":"SUCCESS","total_amount":12345678901234567890.10}}`,
			want: Result{Status: "SUCCESS", Amount: "12345678901234567890.1"},
			ok:   true,
		},
		{
			name: "exponent amount",
			body: `{"data":{"status":"SUCCESS","total_amount":1.5e3}}`,
			want: Result{Status: "SUCCESS", Amount: "1500"},
			ok:   true,
		},
		{
			name: "null and empty amount are absent",
			body: `{"data":{"status":"SUCCESS","total_amount":null,"currency":""}}`,
			want: Result{Status: "SUCCESS"},
			ok:   true,
		},
		{
			name: "numeric ids, same id twice kept once, null transaction",
			body: `{"data":{"status":"SUCCESS","checkout_id":42,"transaction_id":"7","transaction":{"transaction_id":7}}}`,
			want: Result{Status: "SUCCESS", CheckoutID: "42", TransactionIDs: []string{"7"}},
			ok:   true,
		},
		{
			name: "only inner transaction id",
			body: `{"data":{"status":"FAILED","transaction_id":"","transaction":{"transaction_id":"T1","message":{"odd":true}}}}`,
			want: Result{Status: "FAILED", TransactionIDs: []string{"T1"}},
			ok:   true,
		},
		{
			name: "unknown status passes through",
			body: `{"data":{"status":"Expired","transaction":null}}`,
			want: Result{Status: "Expired"},
			ok:   true,
		},
		{
			name: "no Unicode case folding of codes",
			body: `{"data":{"status":"ſuccess","currency":"xaſ","checkout_mode":"lıve"}}`,
			want: Result{Status: "ſuccess", Currency: "XAſ", CheckoutMode: "LıVE"},
			ok:   true,
		},
		{name: "duplicate data.status (testdata)", body: string(readTestdata(t, "status_duplicate_status.json"))},
		{name: "duplicate data.status", body: `{"data":{"status":"PENDING","status":"SUCCESS"}}`},
		{name: "duplicate total_amount", body: `{"data":{"status":"SUCCESS","total_amount":10,"total_amount":1000}}`},
		{name: "duplicate data", body: `{"data":{"status":"PENDING"},"data":{"status":"SUCCESS"}}`},
		{name: "duplicate under case folding", body: `{"data":{"status":"PENDING","Status":"SUCCESS"}}`},
		{name: "duplicate nested transaction id", body: `{"data":{"status":"SUCCESS","transaction":{"transaction_id":"a","transaction_id":"b"}}}`},
		{name: "data null", body: `{"status":"SUCCESS","statusCode":200,"data":null}`},
		{name: "data missing", body: `{"status":"FAILED","statusCode":404,"message":"not found"}`},
		{name: "data not object", body: `{"data":"SUCCESS"}`},
		{name: "data.status missing", body: `{"data":{"checkout_id":"x"}}`},
		{name: "data.status blank", body: `{"data":{"status":"  "}}`},
		{name: "data.status object", body: `{"data":{"status":{}}}`},
		{name: "data.status bool", body: `{"data":{"status":true}}`},
		{name: "negative amount", body: `{"data":{"status":"SUCCESS","total_amount":-10}}`},
		{name: "non-numeric amount", body: `{"data":{"status":"SUCCESS","total_amount":"ten"}}`},
		{name: "amount bool", body: `{"data":{"status":"SUCCESS","total_amount":true}}`},
		{name: "huge exponent amount", body: `{"data":{"status":"SUCCESS","total_amount":1e999999999}}`},
		{name: "transaction not object", body: `{"data":{"status":"SUCCESS","transaction":[1]}}`},
		{name: "array", body: `[{"data":{"status":"SUCCESS"}}]`},
		{name: "trailing garbage", body: `{"data":{"status":"SUCCESS"}} x`},
		{name: "truncated", body: `{"data":{"status":"SUCC`},
		{name: "empty", body: ``},
		{name: "null", body: `null`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseStatus([]byte(tt.body))
			if !tt.ok {
				if !errors.Is(err, ErrMalformed) {
					t.Fatalf("ParseStatus = %+v, %v; want ErrMalformed", got, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !equalResult(got, tt.want) {
				t.Errorf("ParseStatus = %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func equalResult(a, b Result) bool {
	return slices.Equal(a.TransactionIDs, b.TransactionIDs) &&
		a.Status == b.Status && a.CheckoutID == b.CheckoutID && a.Amount == b.Amount &&
		a.Currency == b.Currency && a.CheckoutMode == b.CheckoutMode &&
		a.Message == b.Message && a.RetryAfter == b.RetryAfter && a.HTTPStatus == b.HTTPStatus
}

// TestParseNotificationRefusesDuplicateKeys: a callback naming a member
// twice is malformed (it could name one checkout to one reader and another
// to the next), never read last-wins.
func TestParseNotificationRefusesDuplicateKeys(t *testing.T) {
	t.Parallel()
	for _, body := range []string{
		`{"transaction_id":"a","transaction_id":"b","status":"SUCCESS"}`,
		`{"data":{"checkout_id":"a"},"data":{"checkout_id":"b"}}`,
		`{"data":{"transaction_id":"a","Transaction_ID":"b"}}`,
	} {
		if n, err := ParseNotification("application/json", []byte(body), nil); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseNotification(%s) = %+v, %v; want ErrMalformed", body, n, err)
		}
	}
}
