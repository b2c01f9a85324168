package statusapi

import (
	"errors"
	"testing"
)

func TestErrorText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		code   int
		detail string
		cause  error
		want   string
	}{
		{0, "", nil, "p status: transient"},
		{503, "server error", nil, "p status: transient (HTTP 503): server error"},
		{0, "send request", errors.New("dial: refused"), "p status: transient: send request: dial: refused"},
		{200, "", errors.New("x"), "p status: transient (HTTP 200): x"},
	}
	for _, tt := range tests {
		if got := ErrorText("p status", "transient", tt.code, tt.detail, tt.cause); got != tt.want {
			t.Errorf("ErrorText = %q, want %q", got, tt.want)
		}
	}
}
