package azotte

import (
	"encoding/json"
	"testing"
	"unicode/utf8"

	"github.com/paysync/paysync/provider/internal/statusapi"
)

func FuzzParseStatus(f *testing.F) {
	for _, name := range []string{"status_done.json", "status_3ds_required.json", "status_not_found.json",
		"status_processing.json", "status_3ds_html.json", "status_failed.json", "problem_conflict.json", "status_duplicate_code.json"} {
		f.Add(readTestdata(f, name))
	}
	f.Add([]byte(`{"status":{"messageCode":"X"},"followUpInstructions":{"retryAfterSeconds":1e400}}`))
	f.Add([]byte(`{"status":null,"redirectInstructions":null}`))
	f.Add([]byte(`{"status":{"messageCode":"CHECK_OUT_PROCESSING","messageCode":"CHECK_OUT_DONE"}}`))
	f.Add([]byte(`{"status":{"messageCode":"CHECK_OUT_PROCESSING","MessageCode":"CHECK_OUT_DONE"}}`))
	f.Add([]byte(`{"status":{"messageCode":" check_out_done "},"trackingNumber":"a","trackingNumber":"b"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := ParseStatus(body)
		if err != nil {
			return
		}
		if !json.Valid(body) {
			t.Fatalf("invalid JSON parsed: %q", body)
		}
		// encoding/json, matching names as ParseStatus does, reads the same
		// verdict (ParseStatus refused every text where two names would
		// have let the last one win).
		var ref struct {
			TrackingNumber *string
			Status         struct{ MessageCode string }
		}
		if err := json.Unmarshal(body, &ref); err != nil {
			t.Fatalf("encoding/json refused %q: %v", body, err)
		}
		if statusapi.Code(ref.Status.MessageCode) != r.MessageCode {
			t.Fatalf("MessageCode %q, encoding/json read %q in %q", r.MessageCode, ref.Status.MessageCode, body)
		}
		if ref.TrackingNumber != nil && *ref.TrackingNumber != r.TrackingNumber {
			t.Fatalf("TrackingNumber %q, encoding/json read %q", r.TrackingNumber, *ref.TrackingNumber)
		}
		if r.MessageCode == "" {
			t.Fatalf("no error but empty MessageCode for %q", body)
		}
		if r.FollowUp < 0 || r.FollowUp > maxRetryAfter {
			t.Fatalf("FollowUp %v out of [0, %v]", r.FollowUp, maxRetryAfter)
		}
		if r.Redirect != nil {
			var obj map[string]json.RawMessage
			if err := json.Unmarshal(r.Redirect, &obj); err != nil {
				t.Fatalf("Redirect %q is not a JSON object: %v", r.Redirect, err)
			}
		}
	})
}

func FuzzParseProblem(f *testing.F) {
	f.Add(readTestdata(f, "problem_conflict.json"))
	f.Add(readTestdata(f, "status_not_found.json"))
	f.Add([]byte(`{"type":null,"status":1e3,"detail":"\u0000"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := ParseProblem(body)
		if err != nil {
			return
		}
		if p.Type == "" {
			t.Fatal("no error but empty Type")
		}
		if p.Status != 0 && (p.Status < 100 || p.Status > 599) {
			t.Fatalf("Status %d", p.Status)
		}
		for _, s := range []string{p.Title, p.Detail, p.Instance} {
			if len(s) > maxProblemText+len("…") || !utf8.ValidString(s) {
				t.Fatalf("text %q not bounded or not UTF-8", s)
			}
		}
	})
}
