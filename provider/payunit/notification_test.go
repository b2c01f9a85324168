package payunit

import (
	"errors"
	"net/url"
	"testing"
)

func TestParseNotification(t *testing.T) {
	t.Parallel()
	const (
		tx = "Pu-CK-1688997260698"
		co = "PU_payment_8da2310b-a9d5-4c9c-836e-9cc13b718939"
	)
	tests := []struct {
		name        string
		contentType string
		body        string
		query       url.Values
		want        Notification
		wantErr     error
	}{
		{
			name:        "json top level",
			contentType: "application/json",
			body:        string(readTestdata(t, "notify_json.json")),
			want:        Notification{TransactionID: tx, CheckoutID: co, Status: "SUCCESS"},
		},
		{
			name:        "json under data",
			contentType: "application/json; charset=utf-8",
			body:        string(readTestdata(t, "notify_data.json")),
			want:        Notification{TransactionID: tx, CheckoutID: co, Status: "FAILED"},
		},
		{
			name:        "top level wins over data, per field",
			contentType: "application/json",
			body:        `{"transaction_id":"top","data":{"transaction_id":"inner","checkout_id":"c","status":"pending"}}`,
			want:        Notification{TransactionID: "top", CheckoutID: "c", Status: "PENDING"},
		},
		{
			name:        "form",
			contentType: "application/x-www-form-urlencoded",
			body:        string(readTestdata(t, "notify_form.txt")),
			want:        Notification{TransactionID: tx, CheckoutID: co, Status: "SUCCESS"},
		},
		{
			name:        "form wins over query",
			contentType: "application/x-www-form-urlencoded",
			body:        "transaction_id=form",
			query:       url.Values{"transaction_id": {"query"}, "checkout_id": {"qc"}},
			want:        Notification{TransactionID: "form", CheckoutID: "qc"},
		},
		{
			name:  "query only, empty body",
			query: url.Values{"checkout_id": {co}, "status": {"success"}},
			want:  Notification{CheckoutID: co, Status: "SUCCESS"},
		},
		{
			name:        "query only, json content type and blank body",
			contentType: "application/json",
			body:        " \n",
			query:       url.Values{"transaction_id": {tx}},
			want:        Notification{TransactionID: tx},
		},
		{
			name:        "numbers as ids",
			contentType: "application/json",
			body:        `{"transaction_id":1688997260698,"data":{"checkout_id":168}}`,
			want:        Notification{TransactionID: "1688997260698", CheckoutID: "168"},
		},
		{
			name:        "odd types ignored, fall through to data",
			contentType: "application/json",
			body:        `{"transaction_id":{"x":1},"checkout_id":null,"data":{"transaction_id":"t","checkout_id":true}}`,
			want:        Notification{TransactionID: "t"},
		},
		{
			name: "unknown type sniffed as json",
			body: `{"checkout_id":"c"}`,
			want: Notification{CheckoutID: "c"},
		},
		{
			name:        "unknown type sniffed as form",
			contentType: "text/plain",
			body:        "checkout_id=c",
			want:        Notification{CheckoutID: "c"},
		},
		{
			name:        "vendor json type",
			contentType: "application/vnd.payunit+json",
			body:        `{"checkout_id":"c"}`,
			want:        Notification{CheckoutID: "c"},
		},
		{name: "bad json", contentType: "application/json", body: `{"transaction_id":`, wantErr: ErrMalformed},
		{name: "json array", contentType: "application/json", body: `[{"transaction_id":"t"}]`, wantErr: ErrMalformed},
		{name: "json string", contentType: "application/json", body: `"t"`, wantErr: ErrMalformed},
		{name: "sniffed bad json", body: `{nope`, wantErr: ErrMalformed},
		{name: "bad form", contentType: "application/x-www-form-urlencoded", body: "transaction_id=%zz", wantErr: ErrMalformed},
		{name: "no identifier json", contentType: "application/json", body: `{"status":"SUCCESS","data":{"amount":10}}`, wantErr: ErrNoIdentifier},
		{name: "blank identifiers", contentType: "application/json", body: `{"transaction_id":"  ","checkout_id":""}`, wantErr: ErrNoIdentifier},
		{name: "no identifier form", contentType: "application/x-www-form-urlencoded", body: "status=SUCCESS", wantErr: ErrNoIdentifier},
		{name: "nothing at all", wantErr: ErrNoIdentifier},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseNotification(tt.contentType, []byte(tt.body), tt.query)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("ParseNotification = %+v, %v; want %v", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseNotification = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}
