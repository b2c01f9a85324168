package poller

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/paysync/paysync/store"
)

// Store is what the poller needs of the store.
type Store interface {
	ClaimDue(ctx context.Context, limit int, lease time.Duration) ([]store.Checkout, error)
	Apply(ctx context.Context, o store.Observation) (store.Checkout, error)
	NextDue(ctx context.Context) (time.Time, bool, error)
	MerchantSecrets(ctx context.Context, id string) (store.Merchant, string, error)
}

var _ Store = (*store.DB)(nil)

// Poller checks due checkouts with their provider. Start runs it in the
// background until Stop; RunOnce does one pass, for tests and tools.
type Poller struct {
	cfg      Config
	store    Store
	checkers map[string]Checker
	limits   *merchantLimits
	accounts *accountCache
	metrics  *metrics
	breaker  *breaker

	wake   chan struct{}
	slots  chan struct{} // one token per check in flight
	freed  chan struct{}
	cancel context.CancelFunc
	done   chan struct{}
	checks sync.WaitGroup
}

// New returns a poller over st using checkers keyed by provider name
// (store.ProviderPayUnit …). It fails when cfg is inconsistent.
func New(st Store, checkers map[string]Checker, cfg Config) (*Poller, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	met, err := newMetrics(cfg.Metrics)
	if err != nil {
		return nil, fmt.Errorf("poller metrics: %w", err)
	}
	return &Poller{
		metrics: met,
		cfg:     cfg, store: st, checkers: checkers,
		breaker:  newBreaker(cfg.BreakerFailures, cfg.BreakerCooldown, met.circuitChanged),
		limits:   newMerchantLimits(cfg.MerchantRate, cfg.MerchantBurst),
		accounts: newAccountCache(st, cfg.Now, time.Minute),
		wake:     make(chan struct{}, 1),
		slots:    make(chan struct{}, cfg.Concurrency),
		freed:    make(chan struct{}, 1),
	}, nil
}

// Wake makes the poller look for due checkouts now. It never blocks.
func (p *Poller) Wake() { signal(p.wake) }

func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// Start releases the leases a previous run left behind (one poller per
// database) and runs the loop in the background until Stop or ctx ends.
func (p *Poller) Start(ctx context.Context) error {
	ctx, p.cancel = context.WithCancel(ctx)
	p.done = make(chan struct{})
	go p.loop(ctx)
	return nil
}

// Stop ends the loop and waits for the checks in flight; their checkouts
// come back after the lease (or at the next Start).
func (p *Poller) Stop() {
	if p.cancel == nil {
		return
	}
	p.cancel()
	<-p.done
}

func (p *Poller) loop(ctx context.Context) {
	defer close(p.done)
	defer p.checks.Wait()
	var sampled time.Time
	for {
		sampled = p.sampleBacklog(ctx, sampled)
		full, err := p.dispatch(ctx)
		if err != nil && ctx.Err() == nil {
			p.cfg.Logger.Error("poller pass", "err", err)
		}
		if full {
			continue // more may be due right now
		}
		timer := time.NewTimer(p.idle(ctx))
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-p.wake:
		case <-p.freed:
		case <-timer.C:
		}
		timer.Stop()
	}
}

// idle is how long the loop may sleep: until the next due check, within
// [0, MaxWait].
func (p *Poller) idle(ctx context.Context) time.Duration {
	if len(p.slots) == cap(p.slots) {
		return p.cfg.MaxWait // a freed slot wakes us
	}
	due, ok, err := p.store.NextDue(ctx)
	if err != nil || !ok {
		return p.cfg.MaxWait
	}
	return min(max(due.Sub(p.cfg.Now()), 0), p.cfg.MaxWait)
}

// dispatch claims as many due checkouts as there are free slots and starts
// their checks. full reports that every free slot found work.
func (p *Poller) dispatch(ctx context.Context) (full bool, err error) {
	free := cap(p.slots) - len(p.slots)
	if free == 0 {
		return false, nil
	}
	claimed, err := p.store.ClaimDue(ctx, free, p.cfg.Lease)
	if err != nil {
		return false, err
	}
	p.late(claimed)
	for _, c := range claimed {
		p.slots <- struct{}{}
		p.checks.Add(1)
		go func() {
			defer p.checks.Done()
			defer func() { <-p.slots; signal(p.freed) }()
			p.check(ctx, c)
		}()
	}
	return len(claimed) == free, nil
}

// RunOnce claims what is due now and checks it, waiting for the checks. It
// returns how many checkouts it checked.
func (p *Poller) RunOnce(ctx context.Context) (int, error) {
	total := 0
	for {
		claimed, err := p.store.ClaimDue(ctx, p.cfg.Concurrency, p.cfg.Lease)
		if err != nil {
			return total, err
		}
		p.late(claimed)
		var wg sync.WaitGroup
		for _, c := range claimed {
			wg.Go(func() { p.check(ctx, c) })
		}
		wg.Wait()
		total += len(claimed)
		if len(claimed) < p.cfg.Concurrency {
			return total, nil
		}
	}
}

// check asks the provider about one claimed checkout and applies the answer.
func (p *Poller) check(ctx context.Context, c store.Checkout) {
	log := p.cfg.Logger.With("checkout_id", c.ID, "provider", c.Provider)
	obs, report, err := p.observe(ctx, c)
	if errors.Is(err, errCircuitOpen) {
		p.holdBack(ctx, c, obs)
		return
	}
	if err != nil {
		if ctx.Err() == nil {
			log.Error("check", "err", err)
		}
		return // the lease brings it back
	}
	after, err := p.store.Apply(ctx, obs)
	if err == nil {
		p.metrics.observe(c, after, report)
	}
	switch {
	case errors.Is(err, store.ErrVersionConflict):
		log.Debug("checkout changed during the check; dropped")
	case err != nil:
		log.Error("apply observation", "err", err)
	case after.State != c.State:
		log.Info("checkout state changed", "from", c.State, "to", after.State, "resolved_by", after.ResolvedBy)
	}
}

// observe runs the provider check (unless the checkout is only due to
// expire) and turns it into an observation with the next check planned.
func (p *Poller) observe(ctx context.Context, c store.Checkout) (store.Observation, Report, error) {
	obs := store.Observation{CheckoutID: c.ID, Version: c.Version, WakeSeq: c.WakeSeq, ClaimSeq: c.ClaimSeq}
	checker, ok := p.checkers[c.Provider]
	if !ok {
		return obs, Report{}, fmt.Errorf("no checker for provider %q", c.Provider)
	}
	m, err := p.accounts.get(ctx, c.MerchantID)
	if err != nil {
		return obs, Report{}, err
	}
	if err := p.limits.wait(ctx, c.MerchantID); err != nil {
		return obs, Report{}, err
	}
	endpoint := circuitKey(c.Provider, m)
	if ok, retryAt := p.breaker.allow(endpoint, p.cfg.Now()); !ok {
		return p.heldBack(obs, c, retryAt), Report{}, errCircuitOpen
	}
	cctx, cancel := context.WithTimeout(ctx, p.cfg.CheckTimeout)
	r := checker.Check(cctx, m, c)
	cancel()
	if ctx.Err() != nil {
		return obs, Report{}, ctx.Err() // shutting down: don't record a check we cut short
	}
	now := p.cfg.Now()
	p.breaker.record(endpoint, now, r.Unavailable)
	plan := p.cfg.schedule(now, c, outcomeOf(r), p.cfg.Jitter())
	obs.Checked = true
	obs.State, obs.ProviderStatus, obs.ProviderRef = r.State, r.ProviderStatus, r.ProviderRef
	obs.Amount, obs.Currency, obs.Action, obs.Anomaly, obs.Failure = r.Amount, r.Currency, r.Action, r.Anomaly, r.Failure
	obs.VerifiedByReference = r.VerifiedByReference
	if plan.notFound && obs.Anomaly == nil {
		obs.Anomaly = &store.Anomaly{Code: store.AnomalyNotFound,
			Detail: fmt.Sprintf("%s, %s after registration; polling stopped until a refresh or the buyer's return", r.Failure, p.cfg.NotFoundWindow)}
	}
	obs.ResolvedBy = p.cfg.resolvedBy(c)
	obs.Attempts, obs.NextCheckAt, obs.Expire = plan.attempts, plan.next, plan.expire
	return obs, r, nil
}
