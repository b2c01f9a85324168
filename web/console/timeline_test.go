package console

import (
	"testing"

	"github.com/paysync/paysync/store"
)

func TestPaymentStartedEntry(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		detail, want, shown string
	}{
		{"payment started at PayUnit: started (HTTP 200)", "started", "(HTTP 200)"},
		{"payment started at PayUnit: refused (HTTP 400, statusCode 400): transaction_id order1 is already used", "refused",
			"(HTTP 400, statusCode 400): transaction_id order1 is already used"},
		{"payment started at PayUnit: no usable answer (HTTP 503, server error)", "no answer", "no usable answer (HTTP 503, server error)"},
		{"payment started at PayUnit: no usable answer (send request)", "no answer", "no usable answer (send request)"},
		{"started: https://pay.example/p/1", "started", "https://pay.example/p/1"},
		{"refused", "refused", ""},
		{"", "no answer", ""},
	} {
		en := eventEntry(store.Event{Type: store.EventPaymentStarted, Source: store.ByPaysync, Detail: tt.detail})
		if en.Kind != "start" || en.Title != "Payment started at PayUnit" || en.Outcome != tt.want || en.Detail != tt.shown {
			t.Errorf("detail %q: entry %+v, want outcome %q and detail %q", tt.detail, en, tt.want, tt.shown)
		}
	}
	if got := translate("fr", "Payment started at PayUnit"); got == "Payment started at PayUnit" {
		t.Error("no French title")
	}
	for _, o := range []string{"started", "refused", "no answer"} {
		if translate("fr", o) == o {
			t.Errorf("no French for outcome %q", o)
		}
	}
}
