package azotte

import (
	"encoding/json"
	"errors"
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
		if errors.Is(statusapi.UniqueKeys(body), statusapi.ErrDuplicateKey) {
			t.Fatalf("a body with a duplicate key parsed: %q", body)
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
