package postgres

import (
	"context"
	"math"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/paysync/paysync/store"
)

var _ store.Budgets = (*Backend)(nil)

// TakeToken implements store.Budgets with one row per key, locked while
// it is refilled by the time elapsed since its last take (at rate, up to
// burst) and one token is taken if there is one: instances taking at once
// queue on the row, so together they never exceed the rate. A missing
// row starts full. The row's time never moves back, so an instance whose
// clock lags can't refill the bucket twice.
func (b *Backend) TakeToken(ctx context.Context, key string, rate float64, burst int, now time.Time) (time.Duration, error) {
	if math.IsInf(rate, 1) || rate >= math.MaxFloat64 { // rate.Inf is MaxFloat64: unlimited, no row to take
		return 0, nil
	}
	if rate <= 0 {
		return time.Hour, nil
	}
	var wait time.Duration
	err := pgx.BeginFunc(ctx, b.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO budgets (key, tokens, updated_at) VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING`,
			key, float64(burst), ms(now)); err != nil {
			return err
		}
		var tokens float64
		var updated int64
		if err := tx.QueryRow(ctx, `SELECT tokens, updated_at FROM budgets WHERE key = $1 FOR UPDATE`, key).Scan(&tokens, &updated); err != nil {
			return err
		}
		elapsed := float64(max(ms(now)-updated, 0)) / 1000
		tokens = min(float64(burst), tokens+elapsed*rate)
		if tokens >= 1 {
			tokens--
		} else {
			wait = time.Duration((1 - tokens) / rate * float64(time.Second))
		}
		_, err := tx.Exec(ctx, `UPDATE budgets SET tokens = $2, updated_at = $3 WHERE key = $1`, key, tokens, max(updated, ms(now)))
		return err
	})
	return wait, err
}
