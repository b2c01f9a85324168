package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
)

// Applied is the outcome of one observation of ApplyBatch: the checkout
// as applied, or Err, what Apply would have returned for it
// (ErrVersionConflict for a stale claim, ENOTFOUND, or the write's error).
type Applied struct {
	Checkout Checkout
	Err      error
}

// ApplyBatch records many observations in one transaction, each exactly
// as Apply records it (applyOne: the same compare-and-set on version and
// claim, state machine, events, outbox rows, next check), so a batch of
// verdicts costs one commit (one fsync) instead of one each. It returns
// one Applied per observation, in obs's order.
//
// Each observation is fenced on its own: one refused (a stale claim, a
// checkout re-claimed or gone) is refused before it writes anything and
// fails alone; the others are applied. Should the batch's transaction
// fail as a whole (an item's write failing mid-way, a deadlock, the
// commit), nothing of it is kept and each observation is applied again in
// a transaction of its own (Apply), so that no observation fails for
// another's fault. After the commit, OnChange learns each checkout applied.
//
// Lock order: the identities every learning observation names first
// (sorted, lockAll), then the rows by checkout id, so that batches and
// callbacks (identity, then row) taking some of the same locks can't
// deadlock on them.
func (db *DB) ApplyBatch(ctx context.Context, obs []Observation) []Applied {
	out := make([]Applied, len(obs))
	switch len(obs) {
	case 0:
		return out
	case 1:
		out[0].Checkout, out[0].Err = db.Apply(ctx, obs[0])
		return out
	}
	learning := make([]Checkout, len(obs))
	unread := make([]error, len(obs)) // refToLearn failed: Apply would have failed the same way
	var ids []identity
	for i, o := range obs {
		l, err := db.refToLearn(ctx, o)
		if err != nil {
			unread[i] = fmt.Errorf("apply observation: %w", err)
			continue
		}
		learning[i] = l
		if l.ID != "" {
			ids = append(ids, identity{l.MerchantID, l.Provider, o.ProviderRef})
		}
	}
	order := make([]int, len(obs)) // the rows' lock order
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(obs[a].CheckoutID, obs[b].CheckoutID) })
	before := make([]int64, len(obs))
	err := db.write(ctx, func(tx Tx) error {
		for i := range out { // as if fn had not run (a backend may run it again)
			out[i] = Applied{Err: unread[i]}
		}
		if err := lockAll(ctx, tx, ids); err != nil {
			return err
		}
		now := db.Now()
		for _, i := range order {
			if unread[i] != nil {
				continue
			}
			c, v, err := applyOne(ctx, tx, obs[i], learning[i], now)
			var refused *refusedError
			switch {
			case errors.As(err, &refused):
				out[i].Err = fmt.Errorf("apply observation: %w", err)
			case err != nil:
				return fmt.Errorf("checkout %s: %w", obs[i].CheckoutID, err)
			default:
				out[i].Checkout, before[i] = c, v
			}
		}
		return nil
	})
	if err != nil {
		if ctx.Err() != nil {
			for i := range out {
				out[i] = Applied{Err: fmt.Errorf("apply observations: %w", err)}
			}
			return out
		}
		return db.applyEach(ctx, obs, unread, out)
	}
	for i, a := range out {
		if a.Err == nil {
			db.changed(before[i], a.Checkout)
		}
	}
	return out
}

// applyEach applies each observation in a transaction of its own: what
// ApplyBatch falls back to when its transaction failed as a whole.
func (db *DB) applyEach(ctx context.Context, obs []Observation, unread []error, out []Applied) []Applied {
	for i, o := range obs {
		if out[i] = (Applied{Err: unread[i]}); unread[i] == nil {
			out[i].Checkout, out[i].Err = db.Apply(ctx, o)
		}
	}
	return out
}
