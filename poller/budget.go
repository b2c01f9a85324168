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

// Take implements Budget.
func (b *memoryBudget) Take(_ context.Context, merchantID, provider string, now time.Time) (time.Duration, error) {
	key := budgetKey(merchantID, provider)
	b.mu.Lock()
	defer b.mu.Unlock()
	lim, ok := b.byID[key]
	if !ok {
		lim = rate.NewLimiter(b.rate, b.burst)
		b.byID[key] = lim
	}
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

// errOverBudget is observe's answer for a check the merchant's budget
// holds back.
var errOverBudget = errors.New("over the merchant's check budget")

// overBudget is the observation for a checkout whose merchant is over its
// check budget until retryAt: nothing was asked, the attempt count and
// expiry are untouched, and the next look is at retryAt, spread over as
// long again (at least one minimum interval) so that a merchant's backlog
// comes back at about the pace its budget allows instead of all at once.
func (p *Poller) overBudget(obs store.Observation, c store.Checkout, now, retryAt time.Time) store.Observation {
	spread := max(retryAt.Sub(now), p.cfg.MinInterval)
	next := retryAt.Add(time.Duration(p.cfg.Jitter() * float64(spread)))
	obs.Attempts, obs.NextCheckAt = c.Attempts, &next
	return obs
}

// deferCheck reschedules a checkout its merchant's budget held back.
func (p *Poller) deferCheck(ctx context.Context, c store.Checkout, obs store.Observation) {
	if _, err := p.store.Apply(ctx, obs); err != nil && !errors.Is(err, store.ErrVersionConflict) && ctx.Err() == nil {
		p.cfg.Logger.Error("reschedule check over budget", "checkout_id", c.ID, "err", err)
	}
}
