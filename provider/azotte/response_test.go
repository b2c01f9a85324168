package azotte

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseStatusSamples(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file     string
		code     string
		tracking string
		followUp time.Duration
		redirect string
		html     bool
	}{
		{"status_done.json", CodeDone, "trk_01HZ9XPZ3K2A8E0VBVQH7N9XGB", 0, "", false},
		{"status_3ds_required.json", CodeThreeDS, "trk_01HZ9XPZ3K2A8E0VBVQH7N9XGB", 3 * time.Second, "https://psp.example/3ds/abc", false},
		{"status_not_found.json", CodeItemNotFound, "", 0, "", false},
		{"status_processing.json", CodeProcessing, "trk_01HZ9XPZ3K2A8E0VBVQH7N9XGB", 2 * time.Second, "", false},
		{"status_3ds_html.json", CodeThreeDS, "trk_01HZ9XPZ3K2A8E0VBVQH7N9XGC", 5 * time.Second, "", true},
		{"status_failed.json", CodeFailed, "trk_01HZ9XPZ3K2A8E0VBVQH7N9XGB", 0, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			r, err := ParseStatus(readTestdata(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if r.MessageCode != tt.code || r.TrackingNumber != tt.tracking || r.FollowUp != tt.followUp ||
				r.RedirectURL != tt.redirect || r.ShowHTMLContent != tt.html {
				t.Fatalf("result %+v", r)
			}
			if tt.html && !strings.HasPrefix(r.HTMLContent, `<form id="f"`) {
				t.Fatalf("htmlContent %q", r.HTMLContent)
			}
		})
	}
}

// Every field of redirectInstructions is kept, byte for byte, including
// the ones paysync doesn't read.
func TestParseStatusKeepsRedirectInstructionsVerbatim(t *testing.T) {
	t.Parallel()
	for _, file := range []string{"status_3ds_required.json", "status_3ds_html.json"} {
		body := readTestdata(t, file)
		r, err := ParseStatus(body)
		if err != nil {
			t.Fatal(err)
		}
		var whole map[string]json.RawMessage
		if err := json.Unmarshal(body, &whole); err != nil {
			t.Fatal(err)
		}
		if string(r.Redirect) != string(whole["redirectInstructions"]) {
			t.Fatalf("%s: redirect %s, want %s", file, r.Redirect, whole["redirectInstructions"])
		}
		var fields map[string]any
		if err := json.Unmarshal(r.Redirect, &fields); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"redirectUrl", "isRedirectRequired", "hasNextSteps", "showHtmlContent"} {
			if _, ok := fields[k]; !ok {
				t.Fatalf("%s: %s lost from %s", file, k, r.Redirect)
			}
		}
	}
}

func TestParseStatusRejects(t *testing.T) {
	t.Parallel()
	for name, body := range map[string]string{
		"empty":                ``,
		"array":                `[]`,
		"html":                 `<html>502</html>`,
		"no status":            `{"trackingNumber":"trk_1"}`,
		"status not object":    `{"status":"CHECK_OUT_DONE"}`,
		"empty code":           `{"status":{"messageCode":"  "}}`,
		"code a number":        `{"status":{"messageCode":5}}`,
		"tracking a number":    `{"trackingNumber":5,"status":{"messageCode":"CHECK_OUT_DONE"}}`,
		"redirect a string":    `{"status":{"messageCode":"CHECK_OUT_3DS_REQUIRED"},"redirectInstructions":"https://x"}`,
		"redirectUrl number":   `{"status":{"messageCode":"CHECK_OUT_3DS_REQUIRED"},"redirectInstructions":{"redirectUrl":1}}`,
		"show not bool":        `{"status":{"messageCode":"CHECK_OUT_3DS_REQUIRED"},"redirectInstructions":{"showHtmlContent":"yes"}}`,
		"negative retry":       `{"status":{"messageCode":"CHECK_OUT_PROCESSING"},"followUpInstructions":{"retryAfterSeconds":-1}}`,
		"retry a string":       `{"status":{"messageCode":"CHECK_OUT_PROCESSING"},"followUpInstructions":{"retryAfterSeconds":"3"}}`,
		"follow up not object": `{"status":{"messageCode":"CHECK_OUT_PROCESSING"},"followUpInstructions":3}`,
	} {
		t.Run(name, func(t *testing.T) {
			if r, err := ParseStatus([]byte(body)); !errors.Is(err, ErrMalformed) {
				t.Fatalf("ParseStatus(%s) = %+v, %v; want ErrMalformed", body, r, err)
			}
		})
	}
}

func TestParseStatusFollowUpBounds(t *testing.T) {
	t.Parallel()
	for body, want := range map[string]time.Duration{
		`{"status":{"messageCode":"X"},"followUpInstructions":{"retryAfterSeconds":1.5}}`:   1500 * time.Millisecond,
		`{"status":{"messageCode":"X"},"followUpInstructions":{"retryAfterSeconds":1e9}}`:   24 * time.Hour,
		`{"status":{"messageCode":"X"},"followUpInstructions":{"retryAfterSeconds":1e400}}`: 24 * time.Hour,
		`{"status":{"messageCode":"X"},"followUpInstructions":{"retryAfterSeconds":null}}`:  0,
		`{"status":{"messageCode":"X","message":7},"followUpInstructions":null}`:            0,
	} {
		r, err := ParseStatus([]byte(body))
		if err != nil || r.FollowUp != want || r.MessageCode != "X" {
			t.Errorf("ParseStatus(%s) = %+v, %v; want follow-up %v", body, r, err, want)
		}
	}
}

func TestParseProblem(t *testing.T) {
	t.Parallel()
	p, err := ParseProblem(readTestdata(t, "problem_conflict.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := Problem{Type: "https://docs.azotte.com/problems/tracking-conflict", Title: "Conflict", Status: 409,
		Detail:   "Tracking number trk_01HZ9XPZ3K2A8E0VBVQH7N9XGB belongs to another tenant.",
		Instance: "/api/v1/c2a/offer/checkout/trk_01HZ9XPZ3K2A8E0VBVQH7N9XGB/status"}
	if p != want {
		t.Fatalf("problem %+v, want %+v", p, want)
	}
	if p.Summary() != want.Detail {
		t.Fatalf("summary %q", p.Summary())
	}

	odd, err := ParseProblem([]byte(`{"type":5,"title":"Conflict","status":"409","detail":"a\u0000b` + strings.Repeat("x", 600) + `"}`))
	if err != nil {
		t.Fatal(err)
	}
	if odd.Type != "about:blank" || odd.Status != 0 || strings.ContainsRune(odd.Detail, 0) || len(odd.Detail) > maxProblemText+len("…") {
		t.Fatalf("odd problem %+v", odd)
	}
	if _, err := ParseProblem([]byte(`not json`)); !errors.Is(err, ErrMalformed) {
		t.Fatalf("err %v, want ErrMalformed", err)
	}
}
