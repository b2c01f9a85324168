package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/paysync/paysync/internal/testwait"
	"github.com/paysync/paysync/sandbox"
	"github.com/paysync/paysync/store/postgres/pgtest"
)

// failoverBound is CONTRACT §13's bound on the takeover of a dead
// instance's claims with the default settings (10s), plus a margin for
// this machine: a correctness bound (the lease, which the takeover used
// to wait for, is 1 and 2 minutes), not a performance figure.
const failoverBound = 10*time.Second + 3*time.Second

// holder holds every request (a webhook attempt, a status check) while
// holding is on, until the client goes away (a retry of the holder's own
// client, timed out, is held again); once holding is off every request is
// answered. It records when each key was first answered.
type holder struct {
	holding  atomic.Bool
	release  chan struct{} // closed at the test's end: nothing stays held
	mu       sync.Mutex
	held     map[string]bool
	answered map[string]time.Time
}

func newHolder() *holder {
	h := &holder{release: make(chan struct{}), held: map[string]bool{}, answered: map[string]time.Time{}}
	h.holding.Store(true)
	return h
}

// hold reports whether this request of key is to be held, and counts it.
func (h *holder) hold(key string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.holding.Load() {
		h.held[key] = true
		return true
	}
	return false
}

// wait blocks a held request until its client goes away or the test ends.
func (h *holder) wait(r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-h.release:
	}
}

func (h *holder) answer(key string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.answered[key]; !ok {
		h.answered[key] = time.Now()
	}
}

// heldCount is how many keys are held.
func (h *holder) heldCount() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.held)
}

// takenOver returns, once every held key was answered later, when the
// last of them was; ok is false until then.
func (h *holder) takenOver() (last time.Time, ok bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for key := range h.held {
		at, done := h.answered[key]
		if !done {
			return time.Time{}, false
		}
		if at.After(last) {
			last = at
		}
	}
	return last, true
}

// TestFailoverInSeconds is CONTRACT §13 with real processes: instance A,
// alone on PostgreSQL with the default lease, has checkout.succeeded
// webhooks in flight (the merchant's endpoint holds them) and status
// checks in flight (the provider holds them); B starts; A is killed with
// SIGKILL. B takes over both, webhooks and checks, within 10s of the kill
// (before liveness: after the 2-minute and 1-minute leases), each
// checkout ends with exactly one checkout.succeeded delivery, and every
// delivery reaches the merchant.
func TestFailoverInSeconds(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs two processes; skipped with -short")
	}
	dbURL := pgtest.Start(t).Database(t)
	bin := filepath.Join(t.TempDir(), "paysync")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/paysync/paysync").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	pu := sandbox.NewPayUnit(sandbox.PayUnitConfig{APIKey: "k", APIUser: "u", APIPassword: "p", Mode: "test"})
	checks := newHolder()
	puSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, ok := strings.CutPrefix(r.URL.Path, "/api/gateway/checkout/status/")
		if ok && strings.HasPrefix(id, "held-") {
			if checks.hold(id) {
				checks.wait(r)
				return
			}
			defer checks.answer(id)
		}
		pu.ServeHTTP(w, r)
	}))
	t.Cleanup(puSrv.Close)
	hooks := newHolder()
	shop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body) // read: the server notices a client gone from here on
		id := r.Header.Get("webhook-id")
		if hooks.hold(id) {
			hooks.wait(r)
			return
		}
		hooks.answer(id)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(shop.Close)
	t.Cleanup(func() { close(checks.release); close(hooks.release) }) // before the servers close

	a := &proc{t: t, bin: bin, db: dbURL, admin: sharedAdminToken}
	a.start()
	// two merchants: the dispatcher lets one endpoint hold 2 attempts at once
	const merchants, each = 2, 2
	var keys [merchants]string
	for m := range merchants {
		keys[m], _ = a.merchant(fmt.Sprintf("failover-%d", m), puSrv.URL, shop.URL+fmt.Sprintf("/m%d", m))
	}
	var ids []string
	pay := func(key, ref string) {
		puID := pu.Create(sandbox.Payment{TransactionID: ref, Amount: "10", Currency: "XAF", Scenario: sandbox.ScenarioPaysLost})
		pu.SetStatus(puID, sandbox.StatusSuccess)
		code, body := a.post("/v1/checkouts", key, fmt.Sprintf(`{"provider":"payunit","reference":%q,"amount":"10","currency":"XAF"}`, ref))
		if code != 201 {
			t.Fatalf("register %s: %d %s", ref, code, body)
		}
		ids = append(ids, jsonID(t, body))
	}
	for m := range merchants {
		for i := range each {
			pay(keys[m], fmt.Sprintf("hook-%d-%d", m, i))
		}
	}
	testwait.For(t, "A to hold its checkout.succeeded webhooks in flight", func() bool { return hooks.heldCount() == merchants*each })
	for m := range merchants {
		for i := range each {
			pay(keys[m], fmt.Sprintf("held-%d-%d", m, i))
		}
	}
	testwait.For(t, "A to hold its status checks in flight", func() bool { return checks.heldCount() == merchants*each })

	b := &proc{t: t, bin: bin, db: dbURL, admin: sharedAdminToken}
	b.start()
	testwait.For(t, "B to be ready", func() bool { return b.ready() })
	hooks.holding.Store(false)
	checks.holding.Store(false)
	a.kill()
	killed := time.Now()

	var hooksAt, checksAt time.Time
	testwait.For(t, "B to take over A's webhooks and checks", func() bool {
		var ok1, ok2 bool
		hooksAt, ok1 = hooks.takenOver()
		checksAt, ok2 = checks.takenOver()
		return ok1 && ok2
	})
	hooksIn, checksIn := hooksAt.Sub(killed), checksAt.Sub(killed)
	t.Logf("kill -9 of the instance holding them: its %d webhooks reached the merchant %v later, its %d status checks were sent again %v later (bound %v)",
		merchants*each, hooksIn.Round(time.Millisecond), merchants*each, checksIn.Round(time.Millisecond), failoverBound)
	if hooksIn > failoverBound || checksIn > failoverBound {
		t.Errorf("takeover after %v (webhooks) and %v (checks); CONTRACT §13 says within 10s", hooksIn, checksIn)
	}

	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	testwait.For(t, "every checkout to succeed and every delivery to be delivered", func() bool {
		var open, settled int
		conn.QueryRow(ctx, `SELECT count(*) FROM deliveries WHERE status <> 'delivered'`).Scan(&open)
		conn.QueryRow(ctx, `SELECT count(*) FROM checkouts WHERE state = 'succeeded' AND id = ANY($1)`, ids).Scan(&settled)
		return open == 0 && settled == len(ids)
	})
	rows, err := conn.Query(ctx, `SELECT c.id, count(d.id) FROM checkouts c
		LEFT JOIN deliveries d ON d.checkout_id = c.id AND d.type = 'checkout.succeeded' GROUP BY c.id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Errorf("checkout %s has %d checkout.succeeded deliveries; want exactly 1", id, n)
		}
	}
	rows.Close()
	rows, _ = conn.Query(ctx, `SELECT id FROM deliveries`)
	dIDs, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	hooks.mu.Lock()
	defer hooks.mu.Unlock()
	for _, id := range dIDs {
		if _, ok := hooks.answered[id]; !ok {
			t.Errorf("delivery %s never reached the merchant", id)
		}
	}
}

// ready reports whether the process answers /readyz with 200.
func (p *proc) ready() bool {
	resp, err := http.Get(p.url + "/readyz")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// jsonID is the id of the JSON object in body.
func jsonID(t *testing.T, body []byte) string {
	t.Helper()
	var v struct{ ID string }
	if err := json.Unmarshal(body, &v); err != nil || v.ID == "" {
		t.Fatalf("no id in %s: %v", body, err)
	}
	return v.ID
}
