package cli

import (
	"bufio"
	"database/sql"
	"encoding/json"
	"flag"
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

	"github.com/paysync/paysync/internal/testwait"
	"github.com/paysync/paysync/sandbox"
)

var (
	crashRounds = flag.Int("crash.rounds", 10, "TestKillAndRestart: kill -9 rounds")
	crashAcks   = flag.Int("crash.acks", 40, "TestKillAndRestart: most acknowledged requests per round before the kill (the moment is random up to it)")
)

// crashTruth is a provider verdict and the state it settles a checkout in.
type crashTruth struct{ status, state string }

// crashTruths are the provider verdicts the crash test's payments end in.
var crashTruths = []crashTruth{
	{sandbox.StatusSuccess, "succeeded"}, {sandbox.StatusFailed, "failed"}, {sandbox.StatusCancelled, "cancelled"},
}

// acked is what paysync acknowledged (2xx) about one checkout.
type acked struct {
	id, ref, state string
	key            string
	callbacks      atomic.Int64
}

// TestKillAndRestart runs the built binary, registers checkouts and sends
// callbacks concurrently, kills it with SIGKILL at a random moment (after a
// random number of acknowledged requests, with others in flight) and
// restarts it, over -crash.rounds rounds. Then it checks in the database
// that every acknowledged registration and callback is there, that every
// checkout settled on the provider's verdict with exactly one terminal
// transition.
//
//	go test -run KillAndRestart -crash.rounds=50 -crash.acks=400 -v ./internal/cli/
func TestKillAndRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the binary; skipped with -short")
	}
	t.Parallel()
	dir := t.TempDir()
	bin := filepath.Join(dir, "paysync")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/paysync/paysync").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	pu := sandbox.NewPayUnit(sandbox.PayUnitConfig{APIKey: "k", APIUser: "u", APIPassword: "p", Mode: "test"})
	puSrv := httptest.NewServer(pu)
	t.Cleanup(puSrv.Close)
	shop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent) // the merchant's webhook endpoint takes everything
	}))
	t.Cleanup(shop.Close)

	p := &proc{t: t, bin: bin, db: filepath.Join(dir, "crash.db")}
	p.start()
	// One merchant per sender: each has its own check rate limit (20/s).
	const senders = 4
	var keys, notifies [senders]string
	for w := range senders {
		keys[w], notifies[w] = p.merchant(fmt.Sprintf("crash-%d", w), puSrv.URL, shop.URL)
	}

	var mu sync.Mutex
	var all []*acked
	var sent atomic.Int64
	var acks ackSignal
	for round := range *crashRounds {
		var wg sync.WaitGroup
		stopSending := make(chan struct{})
		killAt := 1 + rand.IntN(*crashAcks) // the random kill moment
		killed := acks.after(killAt)
		for w := range senders {
			key, notify := keys[w], notifies[w]
			wg.Go(func() {
				for i := 0; ; i++ {
					select {
					case <-stopSending:
						return
					default:
					}
					a := payAndNotify(pu, p, p, key, notify, fmt.Sprintf("r%d-w%d-%d", round, w, i), crashTruths[i%len(crashTruths)], &sent)
					if a == nil {
						continue // the process died under us: not acknowledged
					}
					mu.Lock()
					all = append(all, a)
					mu.Unlock()
					acks.add(1 + int(a.callbacks.Load()))
				}
			})
		}
		testwait.Signal(t, fmt.Sprintf("round %d's %d acknowledged requests before the kill", round, killAt), killed)
		p.kill()
		close(stopSending)
		wg.Wait()
		p.start()
	}

	mu.Lock()
	defer mu.Unlock()
	if len(all) == 0 {
		t.Fatal("nothing was acknowledged; the test proves nothing")
	}
	for _, a := range all {
		testwait.For(t, "checkout "+a.ref+" to settle after restarts", func() bool {
			return p.state(a.key, a.id) == a.state
		})
	}
	db, err := sql.Open("sqlite3", "file:"+p.db+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// Callbacks acknowledged into the inbox before a kill were drained at
	// the next start; the last start drains what the last kill left.
	testwait.For(t, "the inbox to be drained", func() bool {
		var n int
		return db.QueryRow(`SELECT count(*) FROM inbox`).Scan(&n) == nil && n == 0
	})
	p.kill() // audit the file as a crash leaves it
	var callbacks int64
	for _, a := range all {
		callbacks += a.callbacks.Load()
	}
	lost := auditRegistrations(t, db, all) + auditCallbacks(t, db, all)
	auditTerminalTransitions(t, db, all)
	auditOutbox(t, db)
	t.Logf("%d kill -9 rounds: %d requests sent, %d acknowledged registrations and %d acknowledged callbacks; lost %d; "+
		"every checkout settled once on the provider's verdict", *crashRounds, sent.Load(), len(all), callbacks, lost)
}

// ackSignal counts acknowledged requests and says when a number more have
// been: the moments of a test that kills and restarts under traffic.
type ackSignal struct {
	mu      sync.Mutex
	n       int
	target  int
	reached chan struct{} // closed at target; nil when nobody waits
}

// after returns a channel closed once n more requests have been
// acknowledged (add); it replaces the previous one.
func (s *ackSignal) after(n int) <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.target, s.reached = s.n+n, make(chan struct{})
	return s.reached
}

// add counts n more acknowledged requests.
func (s *ackSignal) add(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n += n
	if s.reached != nil && s.n >= s.target {
		close(s.reached)
		s.reached = nil
	}
}

// payAndNotify starts a payment at the sandbox that ends in truth, with
// its callback lost, registers its checkout through reg and posts the
// callback through hook; sent counts the requests. It returns what paysync
// acknowledged, or nil when the registration wasn't (the process died).
func payAndNotify(pu *sandbox.PayUnit, reg, hook *proc, key, notify, ref string, truth crashTruth, sent *atomic.Int64) *acked {
	puID := pu.Create(sandbox.Payment{TransactionID: ref, Amount: "10", Currency: "XAF", Scenario: sandbox.ScenarioPaysLost})
	pu.SetStatus(puID, truth.status)
	sent.Add(1)
	code, body := reg.post("/v1/checkouts", key, fmt.Sprintf(`{"provider":"payunit","reference":%q,"amount":"10","currency":"XAF"}`, ref))
	if code != 201 {
		return nil
	}
	var c struct{ ID string }
	json.Unmarshal(body, &c)
	a := &acked{id: c.ID, ref: ref, state: truth.state, key: key}
	sent.Add(1)
	if code, _ := hook.post(notify, "", fmt.Sprintf(`{"transaction_id":%q,"status":%q}`, ref, truth.status)); code == 200 {
		a.callbacks.Add(1)
	}
	return a
}

// auditRegistrations checks that every acknowledged registration is stored
// in its provider's final state, and returns how many are missing.
func auditRegistrations(t *testing.T, db *sql.DB, all []*acked) (lost int) {
	t.Helper()
	for _, a := range all {
		var state string
		if err := db.QueryRow(`SELECT state FROM checkouts WHERE id = ?`, a.id).Scan(&state); err != nil {
			t.Errorf("acknowledged registration %s (%s) not in the database: %v", a.ref, a.id, err)
			lost++
		} else if state != a.state {
			t.Errorf("%s: state %s, provider says %s", a.ref, state, a.state)
		}
	}
	return lost
}

// auditCallbacks checks that every acknowledged callback is stored, and
// returns how many are missing.
func auditCallbacks(t *testing.T, db *sql.DB, all []*acked) (lost int) {
	t.Helper()
	for _, a := range all {
		var n int64
		if err := db.QueryRow(`SELECT count(*) FROM notifications WHERE transaction_id = ?`, a.ref).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n < a.callbacks.Load() {
			t.Errorf("%s: %d acknowledged callbacks, %d stored", a.ref, a.callbacks.Load(), n)
			lost += int(a.callbacks.Load() - n)
		}
	}
	return lost
}

// auditTerminalTransitions checks that no checkout has two transitions into
// a terminal state, and that every acknowledged checkout has one.
func auditTerminalTransitions(t *testing.T, db *sql.DB, all []*acked) {
	t.Helper()
	rows, err := db.Query(`SELECT checkout_id, count(*) FROM events
		WHERE type = 'state_changed' AND to_state IN ('succeeded', 'failed', 'cancelled') GROUP BY checkout_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	terminal := map[string]int{}
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			t.Fatal(err)
		}
		terminal[id] = n
		if n > 1 {
			t.Errorf("checkout %s has %d transitions into a terminal state", id, n)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for _, a := range all {
		if terminal[a.id] != 1 {
			t.Errorf("%s: %d terminal transitions, want 1", a.ref, terminal[a.id])
		}
	}
}

// auditOutbox checks the transactional outbox against the event log: every
// transition a merchant is told about (state_changed into action_required,
// a terminal state or expired) has exactly its delivery row, and no
// delivery announces a transition that didn't happen.
func auditOutbox(t *testing.T, db *sql.DB) {
	t.Helper()
	var missing, orphans, transitions int
	q := func(query string, dst *int) {
		if err := db.QueryRow(query).Scan(dst); err != nil {
			t.Fatalf("audit outbox: %v", err)
		}
	}
	const announced = `e.type = 'state_changed' AND e.to_state IN ('action_required','succeeded','failed','cancelled','expired')`
	q(`SELECT count(*) FROM events e WHERE `+announced, &transitions)
	q(`SELECT count(*) FROM events e WHERE `+announced+` AND NOT EXISTS (
		SELECT 1 FROM deliveries d WHERE d.checkout_id = e.checkout_id AND d.type = 'checkout.' || e.to_state)`, &missing)
	q(`SELECT count(*) FROM deliveries d WHERE d.type <> 'checkout.anomaly' AND NOT EXISTS (
		SELECT 1 FROM events e WHERE e.checkout_id = d.checkout_id AND e.type = 'state_changed' AND 'checkout.' || e.to_state = d.type)`, &orphans)
	if transitions == 0 {
		t.Error("audit outbox: no announced transitions at all; the test checks nothing")
	}
	if missing > 0 || orphans > 0 {
		t.Errorf("outbox: %d of %d transitions have no delivery row; %d deliveries announce a transition that isn't in the log", missing, transitions, orphans)
	}
	t.Logf("outbox: %d transitions, each with its delivery row", transitions)
}

// proc is the paysync binary under test.
type proc struct {
	t     *testing.T
	bin   string
	db    string
	url   string
	cmd   *exec.Cmd
	admin string   // the admin token (testAdminToken when empty)
	extra []string // more serve flags
}

func (p *proc) start() {
	p.t.Helper()
	cmd := exec.Command(p.bin, append([]string{"serve", "--addr", "127.0.0.1:0", "--db", p.db, "--admin-token", p.adminToken(),
		"--master-key", testMasterKey, "--allow-private-urls", "--poll-grace", "200ms",
		"--poll-min-interval", "100ms", "--poll-max-interval", "500ms", "--public-url", "http://paysync.test"}, p.extra...)...)
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

func (p *proc) adminToken() string {
	if p.admin == "" {
		return testAdminToken
	}
	return p.admin
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

func (p *proc) merchant(name, puURL, webhookURL string) (key, notify string) {
	p.t.Helper()
	body, _ := json.Marshal(map[string]any{"name": name, "webhook_url": webhookURL,
		"payunit": map[string]string{"base_url": puURL, "api_user": "u", "api_password": "p", "api_key": "k", "mode": "test"}})
	code, out := p.post("/admin/v1/merchants", p.adminToken(), string(body))
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
