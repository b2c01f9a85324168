package payunit

import (
	"encoding/json"
	"net/url"
	"testing"

	"github.com/paysync/paysync/provider/internal/statusapi"
)

func FuzzParseStatus(f *testing.F) {
	for _, name := range []string{"status_success.json", "status_pending.json",
		"status_failed.json", "status_html_error.html", "status_bad_gateway.html", "status_maintenance.html",
		"status_truncated.json", "status_duplicate_status.json"} {
		f.Add(readTestdata(f, name))
	}
	f.Add([]byte(`{"data":{"status":"SUCCESS","total_amount":"1.5e3","transaction":null}}`))
	f.Add([]byte(`{"data":null}`))
	f.Add([]byte(`{"data":{"status":"PENDING","status":"SUCCESS"}}`))
	f.Add([]byte(`{"data":{"status":"SUCCESS","total_amount":1,"total_amount":1000}}`))
	f.Add([]byte(`{"data":{"status":"PENDING"},"data":{"status":"SUCCESS"}}`))
	f.Add([]byte(`{"data":{"status":" ſuccess ","currency":"xaſ","checkout_mode":"lıve"}}`))
	f.Add([]byte(`{"data":{"status":"SUCCESS","checkout_id":"x","transaction":{"transaction_id":["a"]}}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := ParseStatus(body)
		if err != nil {
			return
		}
		if r.Status == "" {
			t.Fatalf("no error but empty Status for %q", body)
		}
		if r.Status != statusapi.Code(r.Status) {
			t.Fatalf("Status %q not trimmed", r.Status)
		}
		// encoding/json reads the same verdict: ParseStatus refused every
		// text where two names would have let the last one win.
		var ref struct{ Data map[string]json.RawMessage }
		if err := json.Unmarshal(body, &ref); err != nil {
			t.Fatalf("encoding/json refused %q: %v", body, err)
		}
		var status string
		if err := json.Unmarshal(ref.Data["status"], &status); err == nil && statusapi.Code(status) != r.Status {
			t.Fatalf("Status %q, encoding/json read %q in %q", r.Status, status, body)
		}
		if r.Amount != "" {
			if again, err := CanonicalAmount(r.Amount); err != nil || again != r.Amount {
				t.Fatalf("Amount %q not canonical: %q, %v", r.Amount, again, err)
			}
		}
	})
}

func FuzzParseNotification(f *testing.F) {
	f.Add("application/json", readTestdata(f, "notify_json.json"), "")
	f.Add("application/json", readTestdata(f, "notify_data.json"), "")
	f.Add("application/x-www-form-urlencoded", readTestdata(f, "notify_form.txt"), "")
	f.Add("application/x-www-form-urlencoded", readTestdata(f, "notify_form_full.txt"), "")
	f.Add("application/x-www-form-urlencoded; charset=utf-8", readTestdata(f, "notify_form_nested.txt"), "transaction_id=from-query")
	f.Add("", readTestdata(f, "notify_form_full.txt"), "")
	f.Add("application/json", readTestdata(f, "status_success.json"), "")
	f.Add("", []byte(""), "checkout_id=c&status=SUCCESS")
	f.Add("text/plain", []byte("{bad"), "transaction_id=%zz")
	f.Add("application/json", []byte(`{"transaction_id":"a","transaction_id":"b","status":"SUCCESS"}`), "")
	f.Add("application/json", []byte(`{"data":{"checkout_id":"a"},"data":{"checkout_id":"b"}}`), "")
	f.Fuzz(func(t *testing.T, contentType string, body []byte, rawQuery string) {
		query, _ := url.ParseQuery(rawQuery)
		n, err := ParseNotification(contentType, body, query)
		if err == nil && n.TransactionID == "" && n.CheckoutID == "" {
			t.Fatalf("no error but no identifier: %+v", n)
		}
	})
}

func FuzzCanonicalAmount(f *testing.F) {
	for _, s := range []string{"10", "10.50", "010.00", "1e3", "25e-1", "-1", "abc"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := CanonicalAmount(s)
		if err != nil {
			return
		}
		if again, err := CanonicalAmount(c); err != nil || again != c {
			t.Fatalf("CanonicalAmount(%q) = %q, not idempotent: %q, %v", s, c, again, err)
		}
	})
}
