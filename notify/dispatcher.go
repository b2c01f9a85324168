// Package notify sends merchant webhooks (docs/architecture.md, "Webhooks"): it takes due
// deliveries from the store's outbox, signs them per the Standard Webhooks
// specification, POSTs them, records every attempt, and retries on the
// schedule of §6 until the endpoint takes them.
package notify

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/paysync/paysync/netguard"
	"github.com/paysync/paysync/service"
	"github.com/paysync/paysync/store"
)

// Store is what the dispatcher needs of the store.
type Store interface {
	ClaimDeliveries(ctx context.Context, limit int, lease time.Duration) ([]store.Delivery, error)
	NextDeliveryDue(ctx context.Context) (time.Time, bool, error)
	RecordAttempt(ctx context.Context, r store.AttemptResult) error
	RecordAttempts(ctx context.Context, rs []store.AttemptResult) error
	WebhookEndpoint(ctx context.Context, merchantID string) (store.WebhookEndpoint, error)
}

var _ Store = (*store.DB)(nil)

// Config configures New. PublicURL is required; zero values take the defaults shown.
type Config struct {
	// PublicURL is the base of the URLs inside the checkout object (return_url …).
	PublicURL string
	// Client posts the webhooks. It must not follow redirects and should
	// refuse private addresses at connect time: netguard.HTTPClient(false,
	// Timeout) by default.
	Client      *http.Client
	Timeout     time.Duration // bound on one attempt (15s)
	Concurrency int           // attempts in flight at once (8)
	// PerEndpoint is how many of those one merchant's endpoint may hold
	// (a quarter of Concurrency, at least 1): a delivery claimed beyond it
	// goes back to the outbox for a moment, so an endpoint that hangs
	// delays only its own deliveries. An endpoint answering promptly
	// (under 100 ms) may borrow idle slots, up to Concurrency less
	// PerEndpoint; what it can't take waits in memory for a slot about
	// its latency. What any endpoint can't take comes back after about
	// twice what its attempts take (endpointSlots).
	PerEndpoint int
	Lease       time.Duration // how long a claim holds a delivery (2m)
	MaxWait     time.Duration // longest idle sleep between store looks (30s)
	// Wake, when set, is the signal that wakes the dispatcher (Wake
	// notifies it), for a store that commits before the dispatcher exists;
	// the dispatcher makes its own by default.
	Wake service.Signal

	Now     func() time.Time // clock; time.Now
	Jitter  func() float64   // in [0,1); math/rand/v2 by default
	Logger  *slog.Logger
	Metrics prometheus.Registerer // receives paysync_webhook_deliveries_total when set
}

func (cfg Config) withDefaults() (Config, error) {
	cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	if !strings.HasPrefix(cfg.PublicURL, "http://") && !strings.HasPrefix(cfg.PublicURL, "https://") {
		return cfg, fmt.Errorf("notify: public URL %q is not an absolute http(s) URL", cfg.PublicURL)
	}
	cfg.Timeout = cmp.Or(cfg.Timeout, 15*time.Second)
	cfg.Concurrency = cmp.Or(cfg.Concurrency, 8)
	cfg.PerEndpoint = cmp.Or(cfg.PerEndpoint, max(1, cfg.Concurrency/4))
	cfg.Lease = cmp.Or(cfg.Lease, max(2*time.Minute, 4*cfg.Timeout))
	cfg.MaxWait = cmp.Or(cfg.MaxWait, 30*time.Second)
	if cfg.Client == nil {
		cfg.Client = netguard.HTTPClient(false, cfg.Timeout)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Jitter == nil {
		cfg.Jitter = rand.Float64
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Concurrency < 1 || cfg.PerEndpoint < 1 {
		return cfg, errors.New("notify: concurrency must be positive")
	}
	return cfg, nil
}

var _ service.Service = (*Dispatcher)(nil)

// Dispatcher delivers the outbox, on a service.Loop that claims due
// deliveries with a lease, and a recorder that writes the attempts'
// outcomes in batches. Start runs it in the background until Stop, which
// (service.Base) ends the loop, waits for the attempts in flight (cut
// short: an interrupted attempt is not recorded and its lease brings it
// back) and writes the outcomes of those that ended. RunOnce does one
// pass, for tests and tools.
type Dispatcher struct {
	service.Base
	cfg      Config
	store    Store
	metrics  *metrics
	slots    *endpointSlots
	recorder *recorder
	loop     *service.Loop[store.Delivery]
	handed   chan store.Delivery // from HandOff, attempted before the outbox's claims but one
	deferMu  sync.Mutex
	deferred []store.Delivery // handed over, waiting for a prompt endpoint's slot (takeHanded)
	turn     atomic.Uint64    // alternates a lone free slot between the hand-off and the outbox
	stopped  atomic.Bool      // HandOff takes nothing
}

// recordBatch bounds the outcomes waiting for the recorder, per slot.
const recordBatch = 8

// New returns a dispatcher over st, or an error when cfg is inconsistent.
func New(st Store, cfg Config) (*Dispatcher, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	met, err := newMetrics(cfg.Metrics)
	if err != nil {
		return nil, fmt.Errorf("notify metrics: %w", err)
	}
	d := &Dispatcher{cfg: cfg, store: st, metrics: met, slots: newEndpointSlots(cfg.PerEndpoint, cfg.Concurrency)}
	// A batch written may have put a delivery back, due soon: the loop
	// looks again (it slept on what was due before).
	d.recorder = newRecorder(st, recordBatch*cfg.Concurrency, cfg.Logger, d.Wake)
	d.handed = make(chan store.Delivery, recordBatch*cfg.Concurrency)
	d.loop, err = service.NewLoop(dueDeliveries{d}, d.attempt, service.LoopConfig{
		Name: "dispatcher", Concurrency: cfg.Concurrency, Lease: cfg.Lease, MaxWait: cfg.MaxWait,
		Now: cfg.Now, Logger: cfg.Logger, Wake: cfg.Wake,
	})
	if err != nil {
		return nil, fmt.Errorf("notify loop: %w", err)
	}
	return d, nil
}

// dueDeliveries is the dispatcher's service.Source: the deliveries handed
// over (HandOff), then the outbox's due deliveries.
type dueDeliveries struct{ d *Dispatcher }

// Claim returns deliveries handed over (takeHanded) and leases due
// deliveries of the outbox for the rest of limit (store.ClaimDeliveries).
// The outbox always gets a turn: one slot of every pass with more than
// one free, every other pass with one; otherwise a steady hand-off would
// keep retries, put-backs and recovered leases (a quiet merchant's among
// them) waiting behind newer webhooks for as long as it lasts.
func (s dueDeliveries) Claim(ctx context.Context, limit int, lease time.Duration) ([]store.Delivery, error) {
	handLimit := limit - 1
	if limit == 1 && s.d.turn.Add(1)%2 == 0 {
		handLimit = 1
	}
	out := s.d.takeHanded(handLimit, nil)
	claimed, err := s.d.store.ClaimDeliveries(ctx, limit-len(out), lease)
	if err != nil && len(out) > 0 { // the handed ones go out all the same
		s.d.cfg.Logger.Error("claim webhook deliveries", "err", err)
		return out, nil
	}
	if err != nil {
		return nil, fmt.Errorf("claim deliveries: %w", err)
	}
	out = append(out, claimed...)
	if len(out) < limit && len(claimed) == 0 && handLimit < limit {
		out = append(out, s.d.takeHanded(limit-len(out), out)...) // the outbox had nothing: its turn goes to the hand-off
	}
	return out, nil
}

// NextDue returns when the next delivery falls due (store.NextDeliveryDue),
// or now while deliveries handed over wait.
func (s dueDeliveries) NextDue(ctx context.Context) (time.Time, bool, error) {
	if len(s.d.handed) > 0 && s.d.deferredLen() < cap(s.d.handed) {
		return s.d.cfg.Now(), true, nil // those deferred wait for a freed slot, which wakes the loop
	}
	return s.d.store.NextDeliveryDue(ctx)
}

// Wake makes the dispatcher look for due deliveries now. It never blocks,
// so it can be the store's OnChange.
func (d *Dispatcher) Wake() { d.loop.Wake() }

// Start runs the loop and the recorder in the background until Stop or
// ctx ends. It does not touch leases: a delivery claimed by a process
// that died comes back when its lease expires.
func (d *Dispatcher) Start(ctx context.Context) { d.Go(ctx, d.run) }

// run is the dispatcher's run: the loop, and the recorder in this
// goroutine until ctx ends; then the loop stops (its attempts in flight
// end) and the recorder writes the outcomes they left.
func (d *Dispatcher) run(ctx context.Context) {
	d.stopped.Store(false)
	d.loop.Start(ctx)
	d.recorder.run(ctx)
	d.loop.Stop()
	d.stopped.Store(true)
	d.putBackHanded(ctx)
}

// RunOnce claims what is due now and attempts it, waiting for the
// attempts and their outcomes' writes. It returns how many deliveries it
// attempted.
func (d *Dispatcher) RunOnce(ctx context.Context) (int, error) {
	n, err := d.loop.RunOnce(ctx)
	d.recorder.flush(ctx)
	return n, err
}
