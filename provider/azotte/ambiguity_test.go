package azotte

import (
	"errors"
	"testing"
)

// TestParseStatusRefusesAmbiguity: a body naming a member twice (also
// under case folding, which encoding/json's struct matching applies) is
// malformed, never read last-wins; messageCode is trimmed, not folded.
func TestParseStatusRefusesAmbiguity(t *testing.T) {
	t.Parallel()
	for _, body := range []string{
		string(readTestdata(t, "status_duplicate_code.json")),
		`{"status":{"messageCode":"CHECK_OUT_PROCESSING","messageCode":"CHECK_OUT_DONE"}}`,
		`{"status":{"messageCode":"CHECK_OUT_PROCESSING","MessageCode":"CHECK_OUT_DONE"}}`,
		`{"status":{"messageCode":"CHECK_OUT_PROCESSING","meſſageCode":"CHECK_OUT_DONE"}}`,
		`{"status":{"messageCode":"CHECK_OUT_PROCESSING"},"status":{"messageCode":"CHECK_OUT_DONE"}}`,
		`{"trackingNumber":"trk_a","trackingNumber":"trk_b","status":{"messageCode":"CHECK_OUT_DONE"}}`,
	} {
		if r, err := ParseStatus([]byte(body)); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseStatus(%s) = %+v, %v; want ErrMalformed", body, r, err)
		}
	}
	for raw, want := range map[string]string{
		` CHECK_OUT_DONE\n`:    CodeDone,
		"check_out_done":       "check_out_done",
		"CHECK_OUT_DONE\u00a0": "CHECK_OUT_DONE\u00a0",
	} {
		r, err := ParseStatus([]byte(`{"status":{"messageCode":"` + raw + `"}}`))
		if err != nil || r.MessageCode != want {
			t.Errorf("messageCode %q: %q, %v; want %q", raw, r.MessageCode, err, want)
		}
	}
}
