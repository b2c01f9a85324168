package poller

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/paysync/paysync/store"
)

// Budget is the rate limit of status checks per merchant and provider,
// asked before each check. A merchant over its budget doesn't wait in a
// poller slot: its checkout goes back to the store for when a check will
// be there, and the slot serves the next due checkout (maybe another
// merchant's).
type Budget interface {
	// Take takes one check from the budget of (merchantID, provider) at now
	// and returns 0, or returns how long until one is there, taking nothing.
	Take(ctx context.Context, merchantID, provider string, now time.Time) (time.Duration, error)
}

// batchBudget is a Budget that takes the checks of a whole claim batch of
// one merchant and provider at once (one statement per merchant per
// batch on PostgreSQL, instead of one locked read per check), and tells
// each check left without a token when its token will exist.
type batchBudget interface {
	// TakeBatch takes up to n checks at now and returns how many it took;
	// for each of the others, in order, how long until its token exists.
	TakeBatch(ctx context.Context, merchantID, provider string, n int, now time.Time) (int, []time.Duration, error)
}

// memoryBudget is the default Budget: one token bucket per merchant and
// provider in this process, exact when no other instance checks the same
// merchants.
type memoryBudget struct {
	rate  rate.Limit
	burst int

	mu   sync.Mutex
	byID map[string]*rate.Limiter
}

func newMemoryBudget(r rate.Limit, burst int) *memoryBudget {
	return &memoryBudget{rate: r, burst: burst, byID: map[string]*rate.Limiter{}}
}

// limiter returns the bucket of merchantID and provider, made on first
// use. b.mu must be held.
func (b *memoryBudget) limiter(merchantID, provider string) *rate.Limiter {
	key := budgetKey(merchantID, provider)
	lim, ok := b.byID[key]
	if !ok {
		lim = rate.NewLimiter(b.rate, b.burst)
		b.byID[key] = lim
	}
	return lim
}

// Take implements Budget.
func (b *memoryBudget) Take(_ context.Context, merchantID, provider string, now time.Time) (time.Duration, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	lim := b.limiter(merchantID, provider)
	r := lim.ReserveN(now, 1)
	if !r.OK() {
		return time.Hour, nil // a zero burst never lets anything through
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now) // take nothing: the checkout comes back later
		return d, nil
	}
	return 0, nil
}

// TakeBatch implements batchBudget.
func (b *memoryBudget) TakeBatch(_ context.Context, merchantID, provider string, n int, now time.Time) (int, []time.Duration, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	lim := b.limiter(merchantID, provider)
	if lim.Limit() == rate.Inf {
		return n, nil, nil
	}
	avail := lim.TokensAt(now)
	took := min(n, max(int(avail), 0))
	if took > 0 && !lim.AllowN(now, took) {
		took = 0
	}
	if lim.Limit() <= 0 || lim.Burst() == 0 {
		waits := make([]time.Duration, n-took)
		for i := range waits {
			waits[i] = time.Hour // a zero rate or burst never lets anything through
		}
		return took, waits, nil
	}
	return took, store.TokenWaits(n-took, avail-float64(took), float64(lim.Limit())), nil
}

// budgetKey names the bucket of a merchant's checks with a provider.
func budgetKey(merchantID, provider string) string {
	return "poller:" + merchantID + ":" + provider
}

// sharedBudget is a Budget kept in a database every instance shares.
type sharedBudget struct {
	b     store.Budgets
	rate  float64
	burst int
}

// SharedBudget returns a Budget in the store's shared budgets (one token
// bucket per merchant and provider in the database, see store.Budgets):
// every instance over the same database together stays within r checks
// a second, burst at once, for each merchant and provider. Zero r and
// burst take Config's defaults for MerchantRate and MerchantBurst.
func SharedBudget(b store.Budgets, r rate.Limit, burst int) Budget {
	return sharedBudget{b: b, rate: float64(cmp.Or(r, defaultMerchantRate)), burst: cmp.Or(burst, defaultMerchantBurst)}
}

// Take implements Budget.
func (s sharedBudget) Take(ctx context.Context, merchantID, provider string, now time.Time) (time.Duration, error) {
	wait, err := s.b.TakeToken(ctx, budgetKey(merchantID, provider), s.rate, s.burst, now)
	if err != nil {
		return 0, fmt.Errorf("take check budget: %w", err)
	}
	return wait, nil
}

// TakeBatch implements batchBudget: one TakeTokens.
func (s sharedBudget) TakeBatch(ctx context.Context, merchantID, provider string, n int, now time.Time) (int, []time.Duration, error) {
	took, waits, err := s.b.TakeTokens(ctx, budgetKey(merchantID, provider), s.rate, s.burst, n, now)
	if err != nil {
		return 0, nil, fmt.Errorf("take check budget: %w", err)
	}
	return took, waits, nil
}

// allotment is what the budget gave one claimed checkout when its batch
// was claimed: a check now, or the moment its token will exist.
type allotment struct {
	claimSeq int64
	retryAt  time.Time // zero: a check was taken for it
}

// allotments are the claimed checkouts' shares of their budgets, taken
// per claim batch (allot) and read once by the check (allotted).
type allotments struct {
	mu   sync.Mutex
	byID map[string]allotment
}

// allot takes, with a batchBudget, the budget of every claimed checkout at
// once: one take per merchant and provider in the batch, the checks given
// to the earliest due; a checkout the wake gap will put back takes none. Without one, or when a take fails, each check asks
// the budget itself (allotted finds nothing).
func (p *Poller) allot(ctx context.Context, claimed []store.Checkout) {
	bb, ok := p.budget.(batchBudget)
	if !ok || len(claimed) == 0 {
		return
	}
	type key struct{ merchant, provider string }
	groups := map[key][]store.Checkout{}
	var order []key
	now := p.cfg.Now()
	for _, c := range claimed {
		if !p.recent.allows(c.ID, now, p.cfg.WakeGap) {
			continue // the wake gap puts it back without a check: it takes no budget
		}
		k := key{c.MerchantID, c.Provider}
		if _, seen := groups[k]; !seen {
			order = append(order, k)
		}
		groups[k] = append(groups[k], c)
	}
	p.allotted.mu.Lock()
	defer p.allotted.mu.Unlock()
	if p.allotted.byID == nil {
		p.allotted.byID = map[string]allotment{}
	}
	for _, k := range order {
		cs := groups[k]
		took, waits, err := bb.TakeBatch(ctx, k.merchant, k.provider, len(cs), now)
		if err != nil {
			p.cfg.Logger.Error("take check budget for a claim batch", "merchant_id", k.merchant, "err", err)
			continue
		}
		for i, c := range cs {
			a := allotment{claimSeq: c.ClaimSeq}
			if i >= took {
				a.retryAt = now.Add(waits[i-took])
			}
			p.allotted.byID[c.ID] = a
		}
	}
}

// allotment returns, and forgets, what allot gave c's claim.
func (p *Poller) allotment(c store.Checkout) (allotment, bool) {
	p.allotted.mu.Lock()
	defer p.allotted.mu.Unlock()
	a, ok := p.allotted.byID[c.ID]
	if ok {
		delete(p.allotted.byID, c.ID)
	}
	return a, ok && a.claimSeq == c.ClaimSeq
}

// takeBudget takes one check of c's merchant's budget, or returns when
// its token will exist (then exact: its own slot at the budget's pace)
// or how long until one is there (then spread, see overBudget).
func (p *Poller) takeBudget(ctx context.Context, c store.Checkout, now time.Time) (retryAt time.Time, exact bool, err error) {
	if a, ok := p.allotment(c); ok {
		return a.retryAt, true, nil
	}
	wait, err := p.budget.Take(ctx, c.MerchantID, c.Provider, now)
	if err != nil || wait <= 0 {
		return time.Time{}, false, err
	}
	return now.Add(wait), false, nil
}

// errOverBudget is observe's answer for a check the merchant's budget
// holds back.
var errOverBudget = errors.New("over the merchant's check budget")

// overBudget is the observation for a checkout whose merchant is over its
// check budget until retryAt: nothing was asked, the attempt count and
// expiry are untouched, and the next look is at retryAt: exactly, when
// retryAt is the moment of this checkout's own token (allot gave each of
// a batch its own), else spread over as long again (at least one minimum
// interval) so that a merchant's backlog comes back at about the pace its
// budget allows instead of all at once.
func (p *Poller) overBudget(obs store.Observation, c store.Checkout, now, retryAt time.Time, exact bool) store.Observation {
	if exact { // its token's own moment (allot): the batch's others have theirs after it
		obs.Attempts, obs.NextCheckAt = c.Attempts, &retryAt
		return obs
	}
	spread := max(retryAt.Sub(now), p.cfg.MinInterval)
	next := retryAt.Add(time.Duration(p.cfg.Jitter() * float64(spread)))
	obs.Attempts, obs.NextCheckAt = c.Attempts, &next
	return obs
}

// deferCheck reschedules a checkout its merchant's budget held back.
func (p *Poller) deferCheck(ctx context.Context, c store.Checkout, obs store.Observation) {
	if _, err := p.applier.Apply(ctx, obs); err != nil && !errors.Is(err, store.ErrVersionConflict) && ctx.Err() == nil {
		p.cfg.Logger.Error("reschedule check over budget", "checkout_id", c.ID, "err", err)
	}
}
