package poller

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/paysync/paysync/provider/plugin"
	"github.com/paysync/paysync/providers"
	"github.com/paysync/paysync/service"
	"github.com/paysync/paysync/store"
)

// Store is what the poller needs of the store.
type Store interface {
	ClaimDue(ctx context.Context, limit int, lease time.Duration) ([]store.Checkout, error)
	ApplyBatch(ctx context.Context, obs []store.Observation) []store.Applied
	NextDue(ctx context.Context) (time.Time, bool, error)
	MerchantSecrets(ctx context.Context, id string) (store.Merchant, string, error)
}

var _ Store = (*store.DB)(nil)

var _ service.Service = (*Poller)(nil)

// Poller checks due checkouts with their provider, on a service.Loop that
// claims them with a lease. Start runs it in the background until Stop;
// RunOnce does one pass, for tests and tools.
type Poller struct {
	cfg      Config
	store    Store
	checkers map[string]Checker
	budget   Budget
	accounts *accountCache
	metrics  *metrics
	breaker  *breaker
	recent   *recentChecks // WakeGap's memory (wakegap.go)
	loop     *service.Loop[store.Checkout]
	allotted allotments // budgets taken per claim batch (allot)
	applier  *applier   // records the checks' findings in batches (batch.go)
}

// New returns a poller over st using checkers keyed by provider name
// (providers.Checkers). It fails when cfg is inconsistent.
func New(st Store, checkers map[string]Checker, cfg Config) (*Poller, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	met, err := newMetrics(cfg.Metrics)
	if err != nil {
		return nil, fmt.Errorf("poller metrics: %w", err)
	}
	p := &Poller{
		metrics: met,
		cfg:     cfg, store: st, checkers: checkers,
		breaker:  newBreaker(cfg.BreakerFailures, cfg.BreakerCooldown, met.circuitChanged),
		budget:   cfg.Budget,
		accounts: newAccountCache(st, cfg.Now, time.Minute),
		recent:   newRecentChecks(),
		applier:  newApplier(st.ApplyBatch, maxApplyBatch),
	}
	var sampled time.Time // the last backlog sample; the loop's goroutine only
	p.loop, err = service.NewLoop(dueCheckouts{p}, p.check, service.LoopConfig{
		Name: "poller", Concurrency: cfg.Concurrency, Lease: cfg.Lease, MaxWait: cfg.MaxWait,
		Now: cfg.Now, Logger: cfg.Logger,
		BeforePass: func(ctx context.Context) { sampled = p.sampleBacklog(ctx, sampled) },
	})
	if err != nil {
		return nil, fmt.Errorf("poller loop: %w", err)
	}
	return p, nil
}

// dueCheckouts is the poller's service.Source: the store's due checkouts,
// with the lateness of each claimed check observed.
type dueCheckouts struct{ p *Poller }

// Claim leases up to limit due checkouts (store.ClaimDue).
func (s dueCheckouts) Claim(ctx context.Context, limit int, lease time.Duration) ([]store.Checkout, error) {
	claimed, err := s.p.store.ClaimDue(ctx, limit, lease)
	if err != nil {
		return nil, fmt.Errorf("claim due checkouts: %w", err)
	}
	s.p.late(claimed)
	s.p.allot(ctx, claimed)
	return claimed, nil
}

// NextDue returns when the next checkout falls due (store.NextDue).
func (s dueCheckouts) NextDue(ctx context.Context) (time.Time, bool, error) {
	return s.p.store.NextDue(ctx)
}

// Wake makes the poller look for due checkouts now. It never blocks.
func (p *Poller) Wake() { p.loop.Wake() }

// Start runs the loop in the background until Stop or ctx ends. It does
// not touch leases: a checkout claimed by a process that died comes back
// when its lease expires.
func (p *Poller) Start(ctx context.Context) { p.loop.Start(ctx) }

// Stop ends the loop and waits for the checks in flight; their checkouts
// come back after the lease.
func (p *Poller) Stop() { p.loop.Stop() }

// RunOnce claims what is due now and checks it, waiting for the checks. It
// returns how many checkouts it checked.
func (p *Poller) RunOnce(ctx context.Context) (int, error) { return p.loop.RunOnce(ctx) }

// check asks the provider about one claimed checkout and applies the answer.
func (p *Poller) check(ctx context.Context, c store.Checkout) {
	log := p.cfg.Logger.With("checkout_id", c.ID, "provider", c.Provider)
	obs, report, err := p.observe(ctx, c)
	if errors.Is(err, errCircuitOpen) {
		p.holdBack(ctx, c, obs)
		return
	}
	if errors.Is(err, errOverBudget) || errors.Is(err, errTooSoon) {
		p.deferCheck(ctx, c, obs) // the slot goes to the next due checkout
		return
	}
	if err != nil {
		if ctx.Err() == nil {
			log.Error("check", "err", err)
		}
		return // the lease brings it back
	}
	after, err := p.applier.Apply(ctx, obs) // in one transaction with the checks finishing meanwhile
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
	if err == nil && newAnomaly(c.Anomaly, after.Anomaly) {
		// An operator reading the logs learns of it (rejected credentials
		// above all: every check of the merchant's checkouts fails until
		// someone fixes the keys).
		log.Warn("anomaly raised", "merchant_id", c.MerchantID, "anomaly", after.Anomaly.Code, "detail", after.Anomaly.Detail)
	}
}

// newAnomaly reports whether after is an anomaly before did not already say.
func newAnomaly(before, after *store.Anomaly) bool {
	return after != nil && (before == nil || before.Code != after.Code)
}

// observe walks the verdict path's hops 1 to 4 for c (see
// Config.observation): it runs the provider check and returns the
// observation for store.Apply, with the next check planned, and the report
// for the metrics. With the circuit open it returns errCircuitOpen, and
// with the merchant over its check budget errOverBudget, each with an
// observation that only reschedules.
func (p *Poller) observe(ctx context.Context, c store.Checkout) (store.Observation, plugin.Report, error) {
	obs := claimOf(c)
	checker, ok := p.checkers[c.Provider]
	if !ok {
		return obs, plugin.Report{}, fmt.Errorf("no checker for provider %q", c.Provider)
	}
	m, err := p.accounts.get(ctx, c.MerchantID)
	if err != nil {
		return obs, plugin.Report{}, err
	}
	now := p.cfg.Now()
	if next, ok := p.recent.begin(c.ID, now, p.cfg.WakeGap); !ok {
		p.allotment(c)                                            // none was taken for it (allot skips it), but forget any
		return tooSoon(obs, c, next), plugin.Report{}, errTooSoon // before the budget: it takes nothing
	}
	retryAt, exact, err := p.takeBudget(ctx, c, now)
	if err != nil {
		return obs, plugin.Report{}, err
	}
	if !retryAt.IsZero() {
		return p.overBudget(obs, c, now, retryAt, exact), plugin.Report{}, errOverBudget
	}
	endpoint := providers.Endpoint(c.Provider, m) // the circuit breaker's key
	if ok, retryAt := p.breaker.allow(endpoint, c.MerchantID, now); !ok {
		return p.heldBack(obs, c, retryAt), plugin.Report{}, errCircuitOpen
	}
	cctx, cancel := context.WithTimeout(ctx, p.cfg.CheckTimeout)
	r := checker.Check(cctx, m, c) // hop 1
	cancel()
	if ctx.Err() != nil {
		return obs, plugin.Report{}, ctx.Err() // shutting down: don't record a check we cut short
	}
	now = p.cfg.Now()
	p.breaker.record(endpoint, c.MerchantID, now, r.Unavailable)
	pl := p.cfg.schedule(now, c, outcomeOf(r), p.cfg.Jitter()) // hops 2 and 3
	return p.cfg.observation(c, r.Finding, pl), r, nil         // hop 4
}
