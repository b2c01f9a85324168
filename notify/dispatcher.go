// Package notify sends merchant webhooks (CONTRACT §6): it takes due
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
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/paysync/paysync/netguard"
	"github.com/paysync/paysync/store"
)

// Store is what the dispatcher needs of the store.
type Store interface {
	ClaimDeliveries(ctx context.Context, limit int, lease time.Duration) ([]store.Delivery, error)
	NextDeliveryDue(ctx context.Context) (time.Time, bool, error)
	RecordAttempt(ctx context.Context, r store.AttemptResult) error
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
	Lease       time.Duration // how long a claim holds a delivery (2m)
	MaxWait     time.Duration // longest idle sleep between store looks (30s)

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
	if cfg.Concurrency < 1 {
		return cfg, errors.New("notify: concurrency must be positive")
	}
	return cfg, nil
}

// Dispatcher delivers the outbox. Start runs it in the background until
// Stop; RunOnce does one pass, for tests and tools.
type Dispatcher struct {
	cfg     Config
	store   Store
	metrics *metrics

	wake   chan struct{}
	slots  chan struct{} // one token per attempt in flight
	freed  chan struct{}
	cancel context.CancelFunc
	done   chan struct{}
	sends  sync.WaitGroup
}

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
	return &Dispatcher{cfg: cfg, store: st, metrics: met,
		wake: make(chan struct{}, 1), slots: make(chan struct{}, cfg.Concurrency), freed: make(chan struct{}, 1)}, nil
}

// Wake makes the dispatcher look for due deliveries now. It never blocks,
// so it can be the store's OnChange.
func (d *Dispatcher) Wake() { signal(d.wake) }

func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// Start releases the leases a previous run left behind (one dispatcher
// per database) and runs the loop in the background until Stop or ctx ends.
func (d *Dispatcher) Start(ctx context.Context) error {
	ctx, d.cancel = context.WithCancel(ctx)
	d.done = make(chan struct{})
	go d.loop(ctx)
	return nil
}

// Stop ends the loop and waits for the attempts in flight (cut short: an
// interrupted attempt is not recorded and its lease brings it back).
func (d *Dispatcher) Stop() {
	if d.cancel == nil {
		return
	}
	d.cancel()
	<-d.done
}

func (d *Dispatcher) loop(ctx context.Context) {
	defer close(d.done)
	defer d.sends.Wait()
	for {
		full, err := d.dispatch(ctx)
		if err != nil && ctx.Err() == nil {
			d.cfg.Logger.Error("dispatcher pass", "err", err)
		}
		if full {
			continue
		}
		timer := time.NewTimer(d.idle(ctx))
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-d.wake:
		case <-d.freed:
		case <-timer.C:
		}
		timer.Stop()
	}
}

// idle is how long the loop may sleep: until the next due delivery, within [0, MaxWait].
func (d *Dispatcher) idle(ctx context.Context) time.Duration {
	if len(d.slots) == cap(d.slots) {
		return d.cfg.MaxWait // a freed slot wakes us
	}
	due, ok, err := d.store.NextDeliveryDue(ctx)
	if err != nil || !ok {
		return d.cfg.MaxWait
	}
	return min(max(due.Sub(d.cfg.Now()), 0), d.cfg.MaxWait)
}

// dispatch claims as many due deliveries as there are free slots and
// starts their attempts. full reports that every free slot found work.
func (d *Dispatcher) dispatch(ctx context.Context) (full bool, err error) {
	free := cap(d.slots) - len(d.slots)
	if free == 0 {
		return false, nil
	}
	claimed, err := d.store.ClaimDeliveries(ctx, free, d.cfg.Lease)
	if err != nil {
		return false, err
	}
	for _, dl := range claimed {
		d.slots <- struct{}{}
		d.sends.Add(1)
		go func() {
			defer d.sends.Done()
			defer func() { <-d.slots; signal(d.freed) }()
			d.attempt(ctx, dl)
		}()
	}
	return len(claimed) == free, nil
}

// RunOnce claims what is due now and attempts it, waiting for the
// attempts. It returns how many deliveries it attempted.
func (d *Dispatcher) RunOnce(ctx context.Context) (int, error) {
	total := 0
	for {
		claimed, err := d.store.ClaimDeliveries(ctx, d.cfg.Concurrency, d.cfg.Lease)
		if err != nil {
			return total, err
		}
		var wg sync.WaitGroup
		for _, dl := range claimed {
			wg.Go(func() { d.attempt(ctx, dl) })
		}
		wg.Wait()
		total += len(claimed)
		if len(claimed) < d.cfg.Concurrency {
			return total, nil
		}
	}
}
