package console

import (
	"testing"

	"github.com/paysync/paysync/store"
)

func TestPaymentStartedEntry(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		detail, want string
	}{
		{"started: https://pay.example/p/1", "started"},
		{"started", "started"},
		{"refused: transaction_id must contain only letters and digits", "refused"},
		{"refused (HTTP 401): Unauthorized", "refused"},
		{"unknown: timeout", "no answer"},
		{"no answer: HTTP 503", "no answer"},
		{"", "no answer"},
	} {
		en := eventEntry(store.Event{Type: store.EventPaymentStarted, Source: store.ByPaysync, Detail: tt.detail})
		if en.Kind != "start" || en.Title != "Payment started at PayUnit" || en.Outcome != tt.want || en.Detail != tt.detail {
			t.Errorf("detail %q: entry %+v, want outcome %q", tt.detail, en, tt.want)
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
