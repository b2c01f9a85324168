package notify

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/paysync/paysync/netguard"
	"github.com/paysync/paysync/sandbox"
	"github.com/paysync/paysync/store"
	"github.com/paysync/paysync/store/sqlite/sqlitetest"
)

var testMasterKey = []byte("0123456789abcdef0123456789abcdef")

// received is one request the merchant endpoint got.
type received struct {
	header http.Header
	body   []byte
}

// endpoint is a merchant's webhook receiver: it records every request and
// answers with respond(n), n counting from 1.
type endpoint struct {
	mu      sync.Mutex
	reqs    []received
	respond func(n int, w http.ResponseWriter)
	srv     *httptest.Server
}

func newEndpoint(t *testing.T, respond func(n int, w http.ResponseWriter)) *endpoint {
	ep := &endpoint{respond: respond}
	ep.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		ep.mu.Lock()
		ep.reqs = append(ep.reqs, received{header: r.Header.Clone(), body: body})
		n := len(ep.reqs)
		ep.mu.Unlock()
		ep.respond(n, w)
	}))
	t.Cleanup(ep.srv.Close)
	return ep
}

func (ep *endpoint) requests() []received {
	ep.mu.Lock()
	defer ep.mu.Unlock()
	return append([]received(nil), ep.reqs...)
}

func status(code int) func(int, http.ResponseWriter) {
	return func(_ int, w http.ResponseWriter) { w.WriteHeader(code) }
}

// rig is a store in t.TempDir() with one merchant whose webhook URL is
// given, a settable clock, and dispatchers over it.
type rig struct {
	t        *testing.T
	path     string
	db       *store.DB
	clock    *sandbox.Clock
	merchant store.CreatedMerchant
	client   *http.Client
}

func newRig(t *testing.T, webhookURL string) *rig {
	t.Helper()
	r := &rig{t: t, path: filepath.Join(t.TempDir(), "paysync.db"),
		clock: sandbox.NewClock(time.Now().UTC().Truncate(time.Second)), client: netguard.HTTPClient(true, 5*time.Second)}
	r.open()
	m, err := r.db.CreateMerchant(context.Background(), store.NewMerchant{Name: "acme", WebhookURL: webhookURL,
		PayUnit: &store.PayUnitAccount{BaseURL: "https://gateway.payunit.net", Mode: "test", APIUser: "u", APIPassword: "p", APIKey: "k"}})
	if err != nil {
		t.Fatal(err)
	}
	r.merchant = m
	return r
}

// open opens (or reopens) the database file.
func (r *rig) open() {
	r.t.Helper()
	db, err := sqlitetest.Open(context.Background(), r.path, store.Options{MasterKey: testMasterKey, Now: r.clock.Now})
	if err != nil {
		r.t.Fatal(err)
	}
	r.db = db
	r.t.Cleanup(func() { db.Close() })
}

// restart closes the database and opens the same file again, as a new process would.
func (r *rig) restart() {
	r.t.Helper()
	if err := r.db.Close(); err != nil {
		r.t.Fatal(err)
	}
	r.open()
}

func (r *rig) dispatcher(edit ...func(*Config)) *Dispatcher {
	r.t.Helper()
	cfg := Config{PublicURL: "http://paysync.test", Client: r.client, Now: r.clock.Now, Jitter: func() float64 { return 0 }}
	for _, f := range edit {
		f(&cfg)
	}
	d, err := New(r.db, cfg)
	if err != nil {
		r.t.Fatal(err)
	}
	return d
}

// settle registers a checkout and applies a provider verdict to it, as the
// poller would; the transition writes the outbox row.
func (r *rig) settle(ref string, state store.State) store.Checkout {
	r.t.Helper()
	ctx := context.Background()
	c, _, err := r.db.RegisterCheckout(ctx, store.NewCheckout{MerchantID: r.merchant.ID, Provider: store.ProviderPayUnit,
		Reference: ref, Amount: "10", Currency: "XAF", FirstCheckAt: r.clock.Now()})
	if err != nil {
		r.t.Fatal(err)
	}
	claimed, err := r.db.ClaimDue(ctx, 100, time.Minute)
	if err != nil {
		r.t.Fatal(err)
	}
	for _, cl := range claimed {
		if cl.ID != c.ID {
			continue
		}
		after, err := r.db.Apply(ctx, store.Observation{CheckoutID: cl.ID, Version: cl.Version, WakeSeq: cl.WakeSeq, ClaimSeq: cl.ClaimSeq,
			Checked: true, State: state, ProviderStatus: "SUCCESS", Amount: "10", Currency: "XAF", ResolvedBy: store.SourcePoll, Attempts: 1})
		if err != nil {
			r.t.Fatal(err)
		}
		return after
	}
	r.t.Fatalf("checkout %s was not due", c.ID)
	return store.Checkout{}
}

func (r *rig) runOnce(d *Dispatcher) int {
	r.t.Helper()
	n, err := d.RunOnce(context.Background())
	if err != nil {
		r.t.Fatal(err)
	}
	return n
}

func (r *rig) deliveries(checkoutID string) []store.Delivery {
	r.t.Helper()
	ds, err := r.db.Deliveries(context.Background(), r.merchant.ID, store.DeliveryFilter{CheckoutID: checkoutID})
	if err != nil {
		r.t.Fatal(err)
	}
	return ds
}

// verify checks a request's signature with the Standard Webhooks reference
// library; strict also checks the timestamp against the real clock (the
// library's 5-minute tolerance), which holds only while the test clock
// hasn't been advanced.
func verify(t *testing.T, secret string, req received, strict bool) error {
	t.Helper()
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	if strict {
		return wh.Verify(req.body, req.header)
	}
	return wh.VerifyIgnoringTimestamp(req.body, req.header)
}
