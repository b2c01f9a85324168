package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paysync/paysync/internal/testwait"
)

// TestReadmeCommands runs every shell command of the README's ```sh
// blocks, in order, against a running demo (the demo command in process,
// real HTTP on loopback), and fails when an answer's status is not the one
// the README writes after the command (`# → 201 …`), or when a command has
// none. A block the test must not run is marked by the line
//
//	<!-- readme-test: not run (why) -->
//
// just before it. The variables the README has the reader set from the
// demo's banner (PAYSYNC, KEY, SANDBOX, SHOP, NOTIFY, AZOTTE,
// PAYSYNC_ADMIN_TOKEN) come from the banner here too; the placeholders a
// reader copies from an earlier answer (chk_..., PU_payment_..., trk_...,
// <pay_url>, <return_url>) are taken from the last answer that had them.
// It also checks what the demo prints: its credentials and secret, no
// "listening" line besides its banner, and no request log without -v.
func TestReadmeCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("boots the whole demo")
	}
	curl, err := exec.LookPath("curl")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("curl is not installed (.ci/run installs it)")
		}
		t.Skip("curl is not installed")
	}
	t.Parallel()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks, skipped := readmeBlocks(t, string(readme))
	if len(blocks) < 8 {
		t.Fatalf("only %d sh blocks to run in the README", len(blocks))
	}
	t.Logf("%d blocks to run, %d marked not run: %s", len(blocks), len(skipped), strings.Join(skipped, "; "))

	stdout, stderr := startDemoForReadme(t)
	banner := stdout.String()
	env := map[string]string{}
	for name, re := range map[string]string{"PAYSYNC": `export PAYSYNC=(\S+)`, "KEY": `KEY=(\S+)`, "SANDBOX": `SANDBOX=(\S+)`,
		"SHOP": `demo shop\s+(\S+)`, "NOTIFY": `PayUnit notify\s+(\S+)`, "AZOTTE": `export AZOTTE=(\S+)`,
		"PAYSYNC_ADMIN_TOKEN": `admin token\s+(\S+)`} {
		m := regexp.MustCompile(re).FindStringSubmatch(banner)
		if m == nil {
			t.Fatalf("the demo's banner lacks %s (%s):\n%s", name, re, banner)
		}
		env[name] = m[1]
	}
	for _, want := range []string{"paysync demo: starting", "api_key test_demo_key", "api_password demo", "webhook secret   whsec_"} {
		if !strings.Contains(banner, want) {
			t.Errorf("the demo's banner lacks %q:\n%s", want, banner)
		}
	}
	if strings.Contains(banner, "listening") {
		t.Errorf("the demo prints a listening line besides its banner:\n%s", banner)
	}

	wrapper := curlWrapper(t, curl)
	vars := map[string]string{}
	for _, b := range blocks {
		for _, c := range b.commands {
			if c.assigns != nil {
				for _, name := range c.assigns {
					if _, ok := env[name]; !ok {
						t.Errorf("README line %d sets %s, which the demo's banner doesn't give", c.line, name)
					}
				}
				continue
			}
			runReadmeCommand(t, c, wrapper, env, vars)
		}
	}
	if strings.Contains(stderr.String(), `"msg":"request"`) {
		t.Errorf("the demo logged requests without -v:\n%s", stderr.String())
	}
}

// readmeBlock is one ```sh block of the README.
type readmeBlock struct{ commands []readmeCommand }

// readmeCommand is one shell command of a block, with the status written
// after it.
type readmeCommand struct {
	line    int      // in the README, for messages
	text    string   // the command, continuation lines joined
	assigns []string // an export/assignment line: the variables it sets
	status  int      // from "# → NNN"; 0 when none
}

var (
	notRunRe = regexp.MustCompile(`^<!-- readme-test: not run \((.+)\) -->$`)
	statusRe = regexp.MustCompile(`^# → (\d{3})\b`)
	assignRe = regexp.MustCompile(`^(export\s+)?([A-Z_]+=(<[^>]*>|\S+)\s*)+$`)
)

// readmeBlocks returns the README's sh blocks to run, and the reasons of
// those marked not run.
func readmeBlocks(t *testing.T, readme string) (blocks []readmeBlock, skipped []string) {
	t.Helper()
	lines := strings.Split(readme, "\n")
	for i := 0; i < len(lines); i++ {
		if strings.TrimSpace(lines[i]) != "```sh" {
			continue
		}
		start := i
		var body []string
		for i++; i < len(lines) && strings.TrimSpace(lines[i]) != "```"; i++ {
			body = append(body, strings.TrimSpace(lines[i]))
		}
		if start > 0 {
			if m := notRunRe.FindStringSubmatch(strings.TrimSpace(lines[start-1])); m != nil {
				skipped = append(skipped, fmt.Sprintf("line %d: %s", start+1, m[1]))
				continue
			}
			if strings.Contains(lines[start-1], "readme-test") {
				t.Errorf("README line %d: a malformed readme-test mark: %q", start, lines[start-1])
			}
		}
		blocks = append(blocks, readmeBlock{commands: parseCommands(t, body, start+2)})
	}
	return blocks, skipped
}

// parseCommands splits a block into commands: a line ending in a
// backslash, or inside an open quote, goes on; comments are dropped but
// for "# → NNN", the status of the command before.
func parseCommands(t *testing.T, body []string, firstLine int) []readmeCommand {
	var out []readmeCommand
	var cur strings.Builder
	curLine := 0
	for n, l := range body {
		if cur.Len() == 0 {
			if m := statusRe.FindStringSubmatch(l); m != nil {
				if len(out) == 0 || out[len(out)-1].assigns != nil {
					t.Errorf("README line %d: a status with no command before it", firstLine+n)
					continue
				}
				out[len(out)-1].status, _ = strconv.Atoi(m[1])
				continue
			}
			if l == "" || strings.HasPrefix(l, "#") {
				continue
			}
			curLine = firstLine + n
		}
		cur.WriteString(l)
		cur.WriteString("\n")
		if strings.HasSuffix(l, `\`) || openQuote(cur.String()) {
			continue
		}
		text := strings.TrimSpace(cur.String())
		cur.Reset()
		c := readmeCommand{line: curLine, text: text}
		if assignRe.MatchString(text) {
			for _, m := range regexp.MustCompile(`([A-Z_]+)=`).FindAllStringSubmatch(text, -1) {
				c.assigns = append(c.assigns, m[1])
			}
		}
		out = append(out, c)
	}
	if cur.Len() > 0 {
		t.Errorf("README line %d: a command with an unclosed quote", curLine)
	}
	return out
}

// openQuote reports whether s ends inside a shell quote.
func openQuote(s string) bool {
	var q rune
	esc := false
	for _, r := range s {
		switch {
		case esc:
			esc = false
		case r == '\\' && q != '\'':
			esc = true
		case q == 0 && (r == '\'' || r == '"'):
			q = r
		case r == q:
			q = 0
		}
	}
	return q != 0
}

// placeholders maps what the README writes for a value copied from an
// earlier answer to that answer's JSON member.
var placeholders = []struct{ text, member string }{
	{"chk_...", "id"}, {"PU_payment_...", "checkout_id"}, {"trk_...", "trackingNumber"},
	{"<pay_url>", "pay_url"}, {"<return_url>", "return_url"},
}

// runReadmeCommand runs c in bash with env, its placeholders filled from
// vars, and checks the status; it keeps the members of a JSON answer
// that later placeholders name.
func runReadmeCommand(t *testing.T, c readmeCommand, wrapperDir string, env, vars map[string]string) {
	t.Helper()
	text := c.text
	for _, p := range placeholders {
		if strings.Contains(text, p.text) {
			v, ok := vars[p.member]
			if !ok {
				t.Errorf("README line %d uses %s before any answer had %q", c.line, p.text, p.member)
				return
			}
			text = strings.ReplaceAll(text, p.text, v)
		}
	}
	if m := regexp.MustCompile(`<[a-z_ ]+>|\.\.\.`).FindString(text); m != "" {
		t.Errorf("README line %d: %q is a placeholder the test can't fill:\n%s", c.line, m, c.text)
		return
	}
	if c.status == 0 {
		t.Errorf("README line %d: no status documented after the command (# → NNN):\n%s", c.line, c.text)
		return
	}
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", text)
	cmd.Dir = "../.."
	cmd.Env = append(os.Environ(), "PATH="+wrapperDir+string(os.PathListSeparator)+os.Getenv("PATH"))
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.Output()
	if err != nil {
		t.Errorf("README line %d: %v\n%s\n%s", c.line, err, c.text, out)
		return
	}
	body, status, ok := cutStatus(string(out))
	if !ok {
		t.Errorf("README line %d: no HTTP answer:\n%s\n%s", c.line, c.text, out)
		return
	}
	if status != c.status {
		t.Errorf("README line %d: status %d, the README says %d\n%s\n%s", c.line, status, c.status, c.text, body)
	}
	var answer map[string]any
	if json.Unmarshal([]byte(body), &answer) == nil {
		for _, p := range placeholders {
			if s, ok := answer[p.member].(string); ok && s != "" {
				vars[p.member] = s
			}
		}
	}
}

// statusMark is what the curl wrapper writes after each answer.
const statusMark = "\nREADME-TEST-STATUS "

// cutStatus splits the output of one command into the body and the
// status of its last answer.
func cutStatus(out string) (string, int, bool) {
	i := strings.LastIndex(out, statusMark)
	if i < 0 {
		return out, 0, false
	}
	status, err := strconv.Atoi(strings.TrimSpace(out[i+len(statusMark):]))
	return strings.TrimSpace(out[:i]), status, err == nil
}

// curlWrapper writes a curl in a new folder that runs the real one and
// then prints the answer's status.
func curlWrapper(t *testing.T, curl string) string {
	t.Helper()
	dir := t.TempDir()
	script := fmt.Sprintf("#!/bin/sh\nexec %q \"$@\" -w '%sREADME-TEST-STATUS %%{http_code}\\n'\n", curl, `\n`)
	if err := os.WriteFile(filepath.Join(dir, "curl"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// startDemoForReadme runs `paysync demo` (without -v) until the test
// ends, and returns what it writes on stdout and stderr once its banner
// is out.
func startDemoForReadme(t *testing.T) (stdout, stderr *lockedBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stdout, stderr = &lockedBuffer{}, &lockedBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, []string{"demo", "--addr", "127.0.0.1:0", "--db", filepath.Join(t.TempDir(), "demo.db")},
			func(string) string { return "" }, stdout, stderr)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("demo returned %v", err)
		}
	})
	testwait.For(t, "the demo's banner", func() bool { return strings.Contains(stdout.String(), "Other scenarios") })
	return stdout, stderr
}
