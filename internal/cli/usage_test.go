package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// Every command's -h (and --help) prints its usage and succeeds: asking
// for help is no error ("flag: help requested", exit 1, before).
func TestHelpExitsZero(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"serve", "-h"}, {"serve", "--help"}, {"demo", "-h"}, {"merchant", "create", "-h"},
		{"backup", "-h"}, {"help"}, {"-h"}} {
		var stdout, stderr bytes.Buffer
		err := Run(t.Context(), args, func(string) string { return "" }, &stdout, &stderr)
		if err != nil {
			t.Errorf("%v: %v", args, err)
		}
		if out := stdout.String() + stderr.String(); !strings.Contains(out, "usage") && !strings.Contains(out, "Usage") {
			t.Errorf("%v printed no usage: %q", args, out)
		}
	}
}

// serve without an admin token or a master key says what is off, in its
// JSON log; a start error is a JSON line of that log too, marked so main
// doesn't print it again as plain text.
func TestServeHintsAndJSONFatal(t *testing.T) {
	t.Parallel()
	var stderr bytes.Buffer
	ctx, cancel := context.WithCancel(t.Context())
	cancel() // the hints come before the start, which this ends
	Run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--db", filepath.Join(t.TempDir(), "p.db")},
		func(string) string { return "" }, &bytes.Buffer{}, &stderr)
	lines := jsonLines(t, stderr.String())
	if !hasMsg(lines, "admin API off") || !hasMsg(lines, "--master-key") {
		t.Errorf("no hint that the admin API is off and no master key is set:\n%s", stderr.String())
	}

	stderr.Reset()
	err := Run(t.Context(), []string{"serve", "--master-key", "not base64!"}, func(string) string { return "" }, &bytes.Buffer{}, &stderr)
	if err == nil || !Reported(err) {
		t.Fatalf("bad master key: %v, want an error already logged", err)
	}
	lines = jsonLines(t, stderr.String())
	if len(lines) == 0 || lines[len(lines)-1]["level"] != "ERROR" || !strings.Contains(lines[len(lines)-1]["err"].(string), "--master-key") {
		t.Errorf("the fatal error is not the log's last JSON line:\n%s", stderr.String())
	}
}

// jsonLines decodes a JSON log, failing on a line that isn't JSON.
func jsonLines(t *testing.T, log string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for l := range strings.Lines(log) {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line is not JSON: %q", l)
		}
		out = append(out, m)
	}
	return out
}

func hasMsg(lines []map[string]any, part string) bool {
	for _, l := range lines {
		if s, _ := l["msg"].(string); strings.Contains(s, part) {
			return true
		}
	}
	return false
}
