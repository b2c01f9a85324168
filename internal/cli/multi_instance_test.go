package cli

import (
	"context"
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
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/paysync/paysync/internal/testwait"
	"github.com/paysync/paysync/sandbox"
	"github.com/paysync/paysync/store/postgres/pgtest"
)

// sharedAdminToken is the admin token of the multi-instance test's processes.
const sharedAdminToken = "adm-multi-instance-test-0123456789abcdef"

// statusWatch wraps the sandbox PayUnit and records, per payment, how many
// status checks were in flight at once: two instances checking one
// checkout at the same moment would show as 2.
type statusWatch struct {
	next     http.Handler
	mu       sync.Mutex
	inFlight map[string]int
	overlaps int
	checks   int
}

func (w *statusWatch) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	const prefix = "/api/gateway/checkout/status/"
	id, ok := strings.CutPrefix(r.URL.Path, prefix)
	if !ok {
		w.next.ServeHTTP(rw, r)
		return
	}
	w.mu.Lock()
	w.inFlight[id]++
	w.checks++
	if w.inFlight[id] > 1 {
		w.overlaps++
	}
	w.mu.Unlock()
	defer func() {
		w.mu.Lock()
		w.inFlight[id]--
		w.mu.Unlock()
	}()
	w.next.ServeHTTP(rw, r)
}

// webhookLog is the merchant's endpoint: it takes every webhook and counts
// the POSTs per delivery (webhook-id).
type webhookLog struct {
	mu    sync.Mutex
	posts map[string]int // by webhook-id
}

func (l *webhookLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, r.Body)
	l.mu.Lock()
	l.posts[r.Header.Get("webhook-id")]++
	l.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// TestSeveralInstancesOnePostgres runs three `paysync serve` processes on
// one PostgreSQL database, spreads registrations and callbacks over all
// three, kills one with SIGKILL in the middle of the traffic and restarts
// it. Then: every acknowledged registration and callback is stored, every
// checkout settled once on the provider's verdict, one delivery row per
// announced transition, every delivery delivered, and no checkout was
// checked by two instances at the same moment.
func TestSeveralInstancesOnePostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs three processes; skipped with -short")
	}
	dbURL := pgtest.Start(t).Database(t)
	dir := t.TempDir()
	bin := filepath.Join(dir, "paysync")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/paysync/paysync").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	pu := sandbox.NewPayUnit(sandbox.PayUnitConfig{APIKey: "k", APIUser: "u", APIPassword: "p", Mode: "test"})
	pu.SetFaults(sandbox.Faults{Delay: 10 * time.Millisecond}) // a provider's latency widens the window an overlap needs
	watch := &statusWatch{next: pu, inFlight: map[string]int{}}
	puSrv := httptest.NewServer(watch)
	t.Cleanup(puSrv.Close)
	hooks := &webhookLog{posts: map[string]int{}}
	shop := httptest.NewServer(hooks)
	t.Cleanup(shop.Close)

	procs := make([]*proc, 3)
	for i := range procs {
		procs[i] = &proc{t: t, bin: bin, db: dbURL, admin: sharedAdminToken} // the default lease: liveness takes over
		procs[i].start()
	}
	const merchants = 3
	var keys, notifies [merchants]string
	for m := range merchants {
		keys[m], notifies[m] = procs[m%len(procs)].merchant(fmt.Sprintf("multi-%d", m), puSrv.URL, shop.URL)
	}

	var mu sync.Mutex
	var all []*acked
	var sent, callbacks atomic.Int64
	var acks, victimAcks ackSignal // acknowledged requests: by any instance, by the victim
	victim := procs[1]
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 6 {
		key, notify := keys[w%merchants], notifies[w%merchants]
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				reg, hook := procs[rand.IntN(len(procs))], procs[rand.IntN(len(procs))] // a load balancer, round robin or not
				a := payAndNotify(pu, reg, hook, key, notify, fmt.Sprintf("m-w%d-%d", w, i), crashTruths[i%len(crashTruths)], &sent)
				if a == nil {
					continue // that instance died under us: not acknowledged
				}
				mu.Lock()
				all = append(all, a)
				mu.Unlock()
				callbacks.Add(a.callbacks.Load())
				acks.add(1 + int(a.callbacks.Load()))
				if reg == victim {
					victimAcks.add(1)
				}
				if hook == victim {
					victimAcks.add(int(a.callbacks.Load()))
				}
			}
		})
	}
	testwait.Signal(t, "200 acknowledged requests before the kill", acks.after(200))
	victim.kill() // mid-traffic: its checks and deliveries in flight die with it
	testwait.Signal(t, "100 requests acknowledged by the two other instances", acks.after(100))
	victim.start()
	testwait.Signal(t, "50 requests acknowledged by the restarted instance", victimAcks.after(50))
	close(stop)
	wg.Wait()

	mu.Lock()
	defer mu.Unlock()
	if len(all) == 0 {
		t.Fatal("nothing was acknowledged; the test proves nothing")
	}
	// What the victim had claimed when it died (a check, a delivery) is
	// taken over by the others within seconds (cluster.Liveness: its
	// session's lock went with it), not after the lease (1 and 2 minutes).
	for _, a := range all {
		p := procs[rand.IntN(len(procs))]
		testwait.For(t, "checkout "+a.ref+" to settle", func() bool { return p.state(a.key, a.id) == a.state })
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	testwait.For(t, "every delivery to be delivered", func() bool {
		var open int
		conn.QueryRow(ctx, `SELECT count(*) FROM deliveries WHERE status <> 'delivered'`).Scan(&open)
		return open == 0
	})

	lost := 0
	for _, a := range all {
		var state string
		var stored int64
		if err := conn.QueryRow(ctx, `SELECT state FROM checkouts WHERE id = $1`, a.id).Scan(&state); err != nil {
			t.Errorf("acknowledged registration %s not stored: %v", a.ref, err)
			lost++
			continue
		}
		conn.QueryRow(ctx, `SELECT count(*) FROM notifications WHERE transaction_id = $1`, a.ref).Scan(&stored)
		if stored < a.callbacks.Load() {
			t.Errorf("%s: %d acknowledged callbacks, %d stored", a.ref, a.callbacks.Load(), stored)
			lost += int(a.callbacks.Load() - stored)
		}
	}
	var twiceSettled, transitions, rowsOff int
	conn.QueryRow(ctx, `SELECT count(*) FROM (SELECT checkout_id FROM events WHERE type = 'state_changed'
		AND to_state IN ('succeeded','failed','cancelled') GROUP BY checkout_id HAVING count(*) > 1) x`).Scan(&twiceSettled)
	conn.QueryRow(ctx, `SELECT count(*) FROM events WHERE type = 'state_changed'
		AND to_state IN ('action_required','succeeded','failed','cancelled','expired')`).Scan(&transitions)
	conn.QueryRow(ctx, `SELECT count(*) FROM (
		SELECT e.checkout_id, e.to_state, (SELECT count(*) FROM deliveries d WHERE d.checkout_id = e.checkout_id AND d.type = 'checkout.' || e.to_state) AS n
		FROM events e WHERE e.type = 'state_changed' AND e.to_state IN ('action_required','succeeded','failed','cancelled','expired')) x
		WHERE n <> 1`).Scan(&rowsOff)
	var deliveries int
	conn.QueryRow(ctx, `SELECT count(*) FROM deliveries`).Scan(&deliveries)

	hooks.mu.Lock()
	posted, repeated := len(hooks.posts), 0
	for _, n := range hooks.posts {
		repeated += n - 1
	}
	hooks.mu.Unlock()
	watch.mu.Lock()
	overlaps, checks := watch.overlaps, watch.checks
	watch.mu.Unlock()

	t.Logf("3 instances, one killed with SIGKILL and restarted: %d requests sent, %d registrations and %d callbacks acknowledged, "+
		"%d lost; %d checkouts settled twice; %d announced transitions, %d without exactly one delivery row; "+
		"%d deliveries, %d delivered to the endpoint, %d POSTs repeated (at-least-once: an attempt cut by the kill is sent again by another instance); "+
		"%d status checks, %d overlapping checks of one checkout",
		sent.Load(), len(all), callbacks.Load(), lost, twiceSettled, transitions, rowsOff, deliveries, posted, repeated, checks, overlaps)
	if lost > 0 || twiceSettled > 0 || rowsOff > 0 || overlaps > 0 {
		t.Fatalf("lost %d, settled twice %d, transitions without exactly one delivery %d, overlapping checks %d", lost, twiceSettled, rowsOff, overlaps)
	}
	if posted != deliveries {
		t.Fatalf("%d deliveries in the outbox, %d reached the endpoint", deliveries, posted)
	}
}
