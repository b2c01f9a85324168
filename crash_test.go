package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/paysync/paysync/sandbox"
)

// TestKillAndRestart runs the built binary, registers checkouts and sends
// callbacks concurrently, kills it with SIGKILL at a random moment, restarts
// it, and checks that everything acknowledged survived and that the
// scheduled checks resume and settle every paid checkout exactly once.
func TestKillAndRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the binary; skipped with -short")
	}
	t.Parallel()
	dir := t.TempDir()
	bin := filepath.Join(dir, "paysync")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	pu := sandbox.NewPayUnit(sandbox.PayUnitConfig{APIKey: "k", APIUser: "u", APIPassword: "p", Mode: "test"})
	puSrv := httptest.NewServer(pu)
	t.Cleanup(puSrv.Close)

	p := &proc{t: t, bin: bin, db: filepath.Join(dir, "crash.db")}
	p.start()
	key, notify := p.merchant(puSrv.URL)

	type acked struct {
		id        string
		callbacks atomic.Int64
	}
	var mu sync.Mutex
	ackedByRef := map[string]*acked{}
	rounds := 4
	for round := range rounds {
		var wg sync.WaitGroup
		stopSending := make(chan struct{})
		for w := range 4 {
			wg.Go(func() {
				for i := 0; ; i++ {
					select {
					case <-stopSending:
						return
					default:
					}
					ref := fmt.Sprintf("r%d-w%d-%d", round, w, i)
					puID := pu.Create(sandbox.Payment{TransactionID: ref, Amount: "10", Currency: "XAF", Scenario: sandbox.ScenarioPaysLost})
					pu.SetStatus(puID, sandbox.StatusSuccess)
					code, body := p.post("/v1/checkouts", key, fmt.Sprintf(`{"provider":"payunit","reference":%q,"amount":"10","currency":"XAF"}`, ref))
					if code != 201 {
						continue // the process died under us: not acknowledged
					}
					var c struct{ ID string }
					json.Unmarshal(body, &c)
					a := &acked{id: c.ID}
					mu.Lock()
					ackedByRef[ref] = a
					mu.Unlock()
					if code, _ := p.post(notify, "", fmt.Sprintf(`{"transaction_id":%q,"status":"SUCCESS"}`, ref)); code == 200 {
						a.callbacks.Add(1)
					}
				}
			})
		}
		<-time.After(time.Duration(50+rand.IntN(250)) * time.Millisecond)
		p.kill()
		close(stopSending)
		wg.Wait()
		p.start()
	}

	mu.Lock()
	defer mu.Unlock()
	if len(ackedByRef) == 0 {
		t.Fatal("nothing was acknowledged; the test proves nothing")
	}
	var callbacks int64
	for ref, a := range ackedByRef {
		waitFor(t, "checkout "+ref+" to settle after restarts", 20*time.Second, func() bool {
			return p.state(key, a.id) == "succeeded"
		})
		evs := p.events(key, a.id)
		if evs["registered"] != 1 {
			t.Errorf("%s: %d registered events", ref, evs["registered"])
		}
		if int64(evs["callback_received"]) < a.callbacks.Load() {
			t.Errorf("%s: %d acknowledged callbacks, %d stored", ref, a.callbacks.Load(), evs["callback_received"])
		}
		if evs["state_changed"] != 1 {
			t.Errorf("%s: %d state transitions, want 1", ref, evs["state_changed"])
		}
		callbacks += a.callbacks.Load()
	}
	t.Logf("%d kill -9 rounds: %d acknowledged registrations and %d acknowledged callbacks, all found; lost 0",
		rounds, len(ackedByRef), callbacks)
}

// proc is the paysync binary under test.
type proc struct {
	t   *testing.T
	bin string
	db  string
	url string
	cmd *exec.Cmd
}

func (p *proc) start() {
	p.t.Helper()
	cmd := exec.Command(p.bin, "serve", "--addr", "127.0.0.1:0", "--db", p.db, "--admin-token", "adm",
		"--master-key", testMasterKey, "--allow-private-urls", "--poll-grace", "200ms",
		"--poll-min-interval", "100ms", "--poll-max-interval", "500ms", "--public-url", "http://paysync.test")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		p.t.Fatal(err)
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	p.cmd = cmd
	p.t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		p.t.Fatalf("paysync did not start: %v", err)
	}
	p.url = strings.TrimSpace(strings.TrimPrefix(line, "paysync listening on "))
	go io.Copy(io.Discard, stdout)
}

func (p *proc) kill() {
	p.cmd.Process.Signal(syscall.SIGKILL)
	p.cmd.Wait()
}

func (p *proc) post(path, key, body string) (int, []byte) {
	req, _ := http.NewRequest("POST", p.url+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

func (p *proc) get(path, key string, v any) {
	p.t.Helper()
	req, _ := http.NewRequest("GET", p.url+path, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		p.t.Fatal(err)
	}
}

func (p *proc) merchant(puURL string) (key, notify string) {
	p.t.Helper()
	body, _ := json.Marshal(map[string]any{"name": "crash",
		"payunit": map[string]string{"base_url": puURL, "api_user": "u", "api_password": "p", "api_key": "k", "mode": "test"}})
	code, out := p.post("/admin/v1/merchants", "adm", string(body))
	if code != 201 {
		p.t.Fatalf("create merchant: %d %s", code, out)
	}
	var m struct {
		APIKey string `json:"api_key"`
		Notify string `json:"payunit_notify_url"`
	}
	json.Unmarshal(out, &m)
	return m.APIKey, strings.TrimPrefix(m.Notify, "http://paysync.test")
}

func (p *proc) state(key, id string) string {
	var c struct{ State string }
	p.get("/v1/checkouts/"+id, key, &c)
	return c.State
}

func (p *proc) events(key, id string) map[string]int {
	var ev struct{ Data []struct{ Type string } }
	p.get("/v1/checkouts/"+id+"/events", key, &ev)
	n := map[string]int{}
	for _, e := range ev.Data {
		n[e.Type]++
	}
	return n
}
