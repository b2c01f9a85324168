package cli

import (
	"encoding/base64"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestMisconfiguredServeRefusesToStart runs the built binary: a second
// `paysync serve` on the SQLite file another one serves exits with an error
// naming the file and the reason while the first keeps serving; after the
// first stops, a start with a different (well-formed) master key than the
// one the merchants were sealed with, and one with a short admin token,
// are refused too.
func TestMisconfiguredServeRefusesToStart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary; skipped with -short")
	}
	t.Parallel()
	dir := t.TempDir()
	bin := filepath.Join(dir, "paysync")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/paysync/paysync").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	p := &proc{t: t, bin: bin, db: filepath.Join(dir, "paysync.db")}
	p.start()
	p.merchant("acme", "https://gateway.payunit.net", "")
	serve := func(key, admin string) (string, error) {
		out, err := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--db", p.db, "--admin-token", admin,
			"--master-key", key, "--public-url", "http://paysync.test").CombinedOutput()
		return string(out), err
	}
	out, err := serve(testMasterKey, testAdminToken)
	if err == nil || !strings.Contains(out, p.db) || !strings.Contains(out, "another paysync process") {
		t.Fatalf("second process on the same file: %v\n%s", err, out)
	}
	resp, err := http.Get(p.url + "/readyz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("the first process after the second's attempt: %v %v", resp, err)
	}
	resp.Body.Close()
	p.kill()

	wrongKey := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("w", 32)))
	keyOut, err := serve(wrongKey, testAdminToken)
	if err == nil || !strings.Contains(keyOut, "--master-key") {
		t.Fatalf("wrong master key: %v\n%s", err, keyOut)
	}
	tokenOut, err := serve(testMasterKey, "adm")
	if err == nil || !strings.Contains(tokenOut, "--admin-token") {
		t.Fatalf("short admin token: %v\n%s", err, tokenOut)
	}
	t.Logf("refused:\n%s\n%s\n%s", strings.TrimSpace(out), strings.TrimSpace(keyOut), strings.TrimSpace(tokenOut))
}
