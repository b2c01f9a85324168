package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Apply records an observation in one transaction: the state machine's
// verdict on the checkout, the events, the merchant webhooks it announces
// (the outbox), and the next check, guarded by a
// compare-and-set on the version the poller claimed. It returns the updated
// checkout, ErrVersionConflict if the checkout changed since the claim, or
// ENOTFOUND. A wake that arrived during the check makes the checkout due
// again at once instead of at o.NextCheckAt.
func (db *DB) Apply(ctx context.Context, o Observation) (Checkout, error) {
	var out Checkout
	var before int64
	err := db.exec(ctx, func(tx *sql.Tx) error {
		now := db.Now()
		c, err := getCheckout(tx, `id = ?`, o.CheckoutID)
		if err != nil {
			return err
		}
		if c.Version != o.Version || c.ClaimSeq != o.ClaimSeq {
			return ErrVersionConflict // changed, or re-claimed after our lease ran out
		}
		before = c.Version
		if o.ProviderRef != "" && c.ProviderRef == "" {
			taken, err := providerRefTaken(tx, c, o.ProviderRef)
			if err != nil {
				return err
			}
			if taken {
				o.Anomaly = &Anomaly{Code: AnomalyReferenceMismatch,
					Detail: fmt.Sprintf("provider reported checkout %q, which another checkout holds", o.ProviderRef)}
			}
		}
		woken := c.WakeSeq != o.WakeSeq
		if woken {
			o.Expire = false // don't give up on news not checked yet (decided before, so events and version agree)
		}
		d := decide(c, o, now)
		if woken && !d.next.State.Terminal() {
			// woken during the check: what we saw may predate the news
			d.next.Attempts = c.Attempts
			d.next.NextCheckAt = &now
		}
		if err := updateCheckout(tx, c.Version, d.next); err != nil {
			return err
		}
		for _, e := range d.events {
			if err := appendEvent(tx, e); err != nil {
				return err
			}
		}
		if err := enqueueDeliveries(tx, c, d.next, now); err != nil { // the outbox: same transaction as the change
			return err
		}
		out = d.next
		return nil
	})
	if err != nil {
		return Checkout{}, fmt.Errorf("apply observation: %w", err)
	}
	db.changed(before, out)
	return out, nil
}

func providerRefTaken(tx *sql.Tx, c Checkout, ref string) (bool, error) {
	var n int
	err := tx.QueryRow(`SELECT count(*) FROM checkouts WHERE merchant_id = ? AND provider = ? AND provider_ref = ? AND id <> ?`,
		c.MerchantID, c.Provider, ref, c.ID).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("check provider_ref: %w", err)
	}
	return n > 0, nil
}

func updateCheckout(tx *sql.Tx, version int64, c Checkout) error {
	var action sql.NullString
	if c.Action != nil {
		action = sql.NullString{String: string(c.Action.Instructions), Valid: true}
	}
	var code, detail string
	if c.Anomaly != nil {
		code, detail = c.Anomaly.Code, c.Anomaly.Detail
	}
	res, err := tx.Exec(`UPDATE checkouts SET state = ?, provider_status = ?, provider_ref = ?, action = ?,
		anomaly_code = ?, anomaly_detail = ?, resolved_by = ?, last_checked_at = ?, next_check_at = ?, lease_until = NULL,
		attempts = ?, updated_at = ?, version = ?
		WHERE id = ? AND version = ?`,
		string(c.State), c.ProviderStatus, nullString(c.ProviderRef), action, code, detail, c.ResolvedBy,
		nullMS(c.LastCheckedAt), nullMS(c.NextCheckAt), c.Attempts, ms(c.UpdatedAt), c.Version, c.ID, version)
	if err != nil {
		return fmt.Errorf("update checkout: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("update checkout: %w", err)
	}
	if n != 1 {
		return ErrVersionConflict
	}
	return nil
}

// ClaimDue leases up to limit checkouts whose next check is due, oldest due
// first, in one statement served by the checkouts_due index. Their
// next_check_at moves to now+lease, so the work of a checker that dies comes
// back by itself after the lease.
func (db *DB) ClaimDue(ctx context.Context, limit int, lease time.Duration) ([]Checkout, error) {
	var out []Checkout
	err := db.exec(ctx, func(tx *sql.Tx) error {
		now := db.Now()
		until := ms(now.Add(lease))
		due, err := dueTimes(tx, now, limit)
		if err != nil {
			return err
		}
		rows, err := tx.Query(`UPDATE checkouts SET next_check_at = ?, lease_until = ?, claim_seq = claim_seq + 1
			WHERE id IN (SELECT id FROM checkouts WHERE next_check_at <= ? ORDER BY next_check_at LIMIT ?)
			RETURNING `+checkoutColumns, until, until, ms(now), limit)
		if err != nil {
			return fmt.Errorf("claim: %w", err)
		}
		defer rows.Close()
		out = out[:0]
		for rows.Next() {
			c, err := scanCheckout(rows)
			if err != nil {
				return fmt.Errorf("claim: %w", err)
			}
			c.DueAt = due[c.ID]
			out = append(out, c)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("claim due checkouts: %w", err)
	}
	return out, nil
}

// NextDue returns the earliest next_check_at, and false when nothing is scheduled.
func (db *DB) NextDue(ctx context.Context) (time.Time, bool, error) {
	var v sql.NullInt64
	if err := db.read.QueryRowContext(ctx, `SELECT min(next_check_at) FROM checkouts WHERE next_check_at IS NOT NULL`).Scan(&v); err != nil {
		return time.Time{}, false, fmt.Errorf("next due: %w", err)
	}
	if !v.Valid {
		return time.Time{}, false, nil
	}
	return fromMS(v.Int64), true, nil
}

// ClaimQueryPlan returns SQLite's plan for the claim's inner query, so
// tests and benchmarks can show it uses the index.
func (db *DB) ClaimQueryPlan(ctx context.Context) (string, error) {
	rows, err := db.read.QueryContext(ctx, `EXPLAIN QUERY PLAN SELECT id FROM checkouts WHERE next_check_at <= ? ORDER BY next_check_at LIMIT ?`, 0, 1)
	if err != nil {
		return "", fmt.Errorf("claim plan: %w", err)
	}
	defer rows.Close()
	var plan string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			return "", fmt.Errorf("claim plan: %w", err)
		}
		plan += detail + "\n"
	}
	return plan, rows.Err()
}

// ReleaseLeases makes every leased checkout due at once. Call it only when
// no other poller shares the database (a fresh start of the one process
// using this SQLite file): their checks died with the previous run.
func (db *DB) ReleaseLeases(ctx context.Context) error {
	err := db.exec(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`UPDATE checkouts SET next_check_at = ?, lease_until = NULL WHERE lease_until IS NOT NULL`, ms(db.Now()))
		return err
	})
	if err != nil {
		return fmt.Errorf("release leases: %w", err)
	}
	return nil
}
