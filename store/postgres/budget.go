package postgres

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/paysync/paysync/store"
)

var _ store.Budgets = (*Backend)(nil)

// TakeToken implements store.Budgets: TakeTokens for one.
func (b *Backend) TakeToken(ctx context.Context, key string, rate float64, burst int, now time.Time) (time.Duration, error) {
	took, waits, err := b.TakeTokens(ctx, key, rate, burst, 1, now)
	if err != nil || took == 1 {
		return 0, err
	}
	return waits[0], nil
}

// takeTokensSQL refills key's bucket by the time elapsed since its last
// take and takes up to $5 tokens, whole ones, in one UPDATE
// (budget_take, migration 0015): its SET reads the row as it is, and
// PostgreSQL re-reads a row another transaction changed meanwhile before
// updating it, so instances taking at once are serialized on the row for
// the length of one statement, and together they never exceed the rate.
// The row's time never moves back, so an instance whose clock lags can't
// refill the bucket twice.
const takeTokensSQL = `UPDATE budgets SET (tokens, taken, updated_at, slot_at) =
	(SELECT * FROM budget_take(tokens, updated_at, slot_at, $2::float8, $3::bigint, $4::float8, $5::int))
	WHERE key = $1 RETURNING tokens, taken, slot_at`

// TakeTokens implements store.Budgets with one row per key and, once the
// row exists, one statement per call (takeTokensSQL) whatever n is: a
// poller takes the budget of a whole claim batch of one merchant at once.
// A missing row starts full. The checks left without a token get, in
// order, a moment each, one token apart, after those handed out before
// (by any instance): when a token will be there for each, if checks not
// deferred don't take it first. Nothing is reserved: a token is only ever
// taken by a check that runs, so the rate holds exactly.
func (b *Backend) TakeTokens(ctx context.Context, key string, rate float64, burst, n int, now time.Time) (int, []time.Duration, error) {
	if n <= 0 {
		return 0, nil, nil
	}
	if math.IsInf(rate, 1) || rate >= math.MaxFloat64 { // rate.Inf is MaxFloat64: unlimited, no row to take
		return n, nil, nil
	}
	if rate <= 0 {
		waits := make([]time.Duration, n)
		for i := range waits {
			waits[i] = time.Hour
		}
		return 0, waits, nil
	}
	var left float64
	var took int
	var last int64
	err := b.pool.QueryRow(ctx, takeTokensSQL, key, float64(burst), ms(now), rate, n).Scan(&left, &took, &last)
	if isNoRows(err) {
		if _, err := b.pool.Exec(ctx, `INSERT INTO budgets (key, tokens, updated_at) VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING`,
			key, float64(burst), ms(now)); err != nil {
			return 0, nil, fmt.Errorf("take tokens: %w", err)
		}
		err = b.pool.QueryRow(ctx, takeTokensSQL, key, float64(burst), ms(now), rate, n).Scan(&left, &took, &last)
	}
	if err != nil {
		return 0, nil, fmt.Errorf("take tokens: %w", err)
	}
	waits := make([]time.Duration, n-took)
	step := max(int64(math.Ceil(1000/rate)), 1)
	for k := range waits { // the last handed is last; the others one step apart before it
		at := last - int64(len(waits)-1-k)*step
		waits[k] = max(time.Duration(at-ms(now))*time.Millisecond, time.Millisecond)
	}
	return took, waits, nil
}
