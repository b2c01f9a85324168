package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/paysync/paysync/store"
	"github.com/paysync/paysync/store/internal/rowscan"
)

func getCheckout(ctx context.Context, q queryRower, where string, args ...any) (store.Checkout, error) {
	c, err := rowscan.ScanCheckout(q.QueryRow(ctx, `SELECT `+rowscan.CheckoutColumns+` FROM checkouts WHERE `+where, args...))
	if isNoRows(err) {
		return store.Checkout{}, store.Errorf(store.ENOTFOUND, "checkout not found")
	}
	if err != nil {
		return store.Checkout{}, fmt.Errorf("read checkout: %w", err)
	}
	return c, nil
}

// Checkout implements store.Reader.
func (b *Backend) Checkout(ctx context.Context, merchantID, id string) (store.Checkout, error) {
	return getCheckout(ctx, b.pool, `id = $1 AND merchant_id = $2`, id, merchantID)
}

// CheckoutRev implements store.Reader.
func (b *Backend) CheckoutRev(ctx context.Context, merchantID, id string) (int64, error) {
	var rev int64
	err := b.pool.QueryRow(ctx, `SELECT rev FROM checkouts WHERE id = $1 AND merchant_id = $2`, id, merchantID).Scan(&rev)
	if isNoRows(err) {
		return 0, store.Errorf(store.ENOTFOUND, "checkout not found")
	}
	if err != nil {
		return 0, fmt.Errorf("read checkout rev: %w", err)
	}
	return rev, nil
}

// CheckoutByToken implements store.Reader.
func (b *Backend) CheckoutByToken(ctx context.Context, token string) (store.Checkout, error) {
	return getCheckout(ctx, b.pool, `token = $1`, token)
}

// CheckoutByID implements store.Reader.
func (b *Backend) CheckoutByID(ctx context.Context, id string) (store.Checkout, error) {
	return getCheckout(ctx, b.pool, `id = $1`, id)
}

// ListCheckouts implements store.Reader.
func (b *Backend) ListCheckouts(ctx context.Context, merchantID string, q store.CheckoutQuery) ([]store.Checkout, error) {
	query, args := listCheckoutsSQL(merchantID, q)
	rows, err := b.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return rowscan.Collect(rows, rowscan.Checkout)
}

// Events implements store.Reader.
func (b *Backend) Events(ctx context.Context, checkoutID string) ([]store.Event, error) {
	rows, err := b.pool.Query(ctx, `SELECT `+rowscan.EventColumns+` FROM events WHERE checkout_id = $1 ORDER BY id`, checkoutID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return rowscan.Collect(rows, rowscan.ScanEvent)
}

// CheckoutForUpdate implements store.Tx.
func (t *tx) CheckoutForUpdate(ctx context.Context, id string) (store.Checkout, error) {
	return getCheckout(ctx, t, `id = $1 FOR UPDATE`, id)
}

// CheckoutByTokenForUpdate implements store.Tx.
func (t *tx) CheckoutByTokenForUpdate(ctx context.Context, token string) (store.Checkout, error) {
	return getCheckout(ctx, t, `token = $1 FOR UPDATE`, token)
}

// FindCheckoutForUpdate implements store.Tx.
func (t *tx) FindCheckoutForUpdate(ctx context.Context, merchantID string, id store.Identity) (store.Checkout, error) {
	switch {
	case id.IdempotencyKey != "":
		return getCheckout(ctx, t, `merchant_id = $1 AND idempotency_key = $2 FOR UPDATE`, merchantID, id.IdempotencyKey)
	case id.Reference != "":
		return getCheckout(ctx, t, `merchant_id = $1 AND provider = $2 AND reference = $3 FOR UPDATE`, merchantID, id.Provider, id.Reference)
	case id.ProviderRef != "":
		return getCheckout(ctx, t, `merchant_id = $1 AND provider = $2 AND provider_ref = $3 FOR UPDATE`, merchantID, id.Provider, id.ProviderRef)
	}
	return store.Checkout{}, store.Errorf(store.ENOTFOUND, "checkout not found")
}

// LockIdentity implements store.Tx with a transaction-scoped advisory
// lock on a 64-bit hash of the identity (a collision only serializes two
// unrelated transactions).
func (t *tx) LockIdentity(ctx context.Context, merchantID, provider, ref string) error {
	if ref == "" {
		return nil
	}
	t.later(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, identityKey(merchantID, provider, ref)) // waits in order before the next statement read
	return nil
}

// identityKey writes the identity unambiguously (length-prefixed parts).
func identityKey(merchantID, provider, ref string) string {
	return fmt.Sprintf("%d:%s|%d:%s|%s", len(merchantID), merchantID, len(provider), provider, ref)
}

// InsertCheckout implements store.Tx.
func (t *tx) InsertCheckout(ctx context.Context, c store.Checkout) error {
	_, err := t.execUnique(`INSERT INTO checkouts (id, merchant_id, provider, reference, provider_ref, amount, currency,
		success_url, cancel_url, token, idempotency_key, state, next_check_at, created_at, updated_at, version,
		start_requested, pay_url)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18)`,
		c.ID, c.MerchantID, c.Provider, nullString(c.Reference), nullString(c.ProviderRef), c.Amount, c.Currency,
		c.SuccessURL, c.CancelURL, c.Token, nullString(c.IdempotencyKey), string(c.State),
		nullMS(c.NextCheckAt), ms(c.CreatedAt), ms(c.UpdatedAt), c.Version, c.StartRequested, nullString(c.PayURL))
	if err != nil {
		if err == store.ErrDuplicate {
			return err
		}
		return fmt.Errorf("insert checkout: %w", err)
	}
	return t.changed(c.MerchantID, c.ID, c.Version)
}

// changed announces a new version of a checkout, and that something is
// due for the pollers.
func (t *tx) changed(merchantID, id string, version int64) error {
	return t.notify(signalPayload(store.Signal{Kind: store.SignalCheckout, MerchantID: merchantID, CheckoutID: id, Version: version}))
}

// UpdateCheckout implements store.Tx.
func (t *tx) UpdateCheckout(ctx context.Context, before, c store.Checkout) error {
	var action *string
	if c.Action != nil {
		s := string(c.Action.Instructions)
		action = &s
	}
	var code, detail string
	if c.Anomaly != nil {
		code, detail = c.Anomaly.Code, c.Anomaly.Detail
	}
	tag, err := t.exec(`UPDATE checkouts SET state = $1, provider_status = $2, provider_ref = $3, action = $4,
		anomaly_code = $5, anomaly_detail = $6, resolved_by = $7, last_checked_at = $8, next_check_at = $9, lease_until = NULL,
		attempts = $10, updated_at = $11, version = $12, settled_at = COALESCE(settled_at, $16), pay_url = $17, rev = rev + 1
		WHERE id = $13 AND version = $14 AND claim_seq = $15`,
		string(c.State), c.ProviderStatus, nullString(c.ProviderRef), action, code, detail, c.ResolvedBy,
		nullMS(c.LastCheckedAt), nullMS(c.NextCheckAt), c.Attempts, ms(c.UpdatedAt), c.Version,
		c.ID, before.Version, before.ClaimSeq, nullMS(c.SettledAt), nullString(c.PayURL))
	if err != nil {
		return fmt.Errorf("update checkout: %w", err)
	}
	if tag.RowsAffected() != 1 {
		return store.ErrVersionConflict
	}
	if c.Version != before.Version {
		return t.changed(c.MerchantID, c.ID, c.Version)
	}
	return nil
}

// SetProviderRef implements store.Tx.
func (t *tx) SetProviderRef(ctx context.Context, id, ref string, now time.Time) error {
	if _, err := t.execUnique(`UPDATE checkouts SET provider_ref = $1, version = version + 1, updated_at = $2, rev = rev + 1 WHERE id = $3`,
		ref, ms(now), id); err != nil {
		return err
	}
	var merchantID string
	var version int64
	if err := t.QueryRow(t.ctx, `SELECT merchant_id, version FROM checkouts WHERE id = $1`, id).Scan(&merchantID, &version); err != nil {
		return err
	}
	return t.changed(merchantID, id, version)
}

// ProviderRefTaken implements store.Tx.
func (t *tx) ProviderRefTaken(ctx context.Context, c store.Checkout, ref string) (bool, error) {
	var taken bool
	err := t.QueryRow(t.ctx, `SELECT EXISTS (SELECT 1 FROM checkouts WHERE merchant_id = $1 AND provider = $2 AND provider_ref = $3 AND id <> $4)`,
		c.MerchantID, c.Provider, ref, c.ID).Scan(&taken)
	if err != nil {
		return false, fmt.Errorf("check provider_ref: %w", err)
	}
	return taken, nil
}

// markCallbackSQL is MarkCallbackReceived's statement.
const markCallbackSQL = `UPDATE checkouts SET callback_received_at = COALESCE(callback_received_at, $1), rev = rev + 1 WHERE id = $2`

// MarkCallbackReceived implements store.Tx.
func (t *tx) MarkCallbackReceived(ctx context.Context, id string, at time.Time) error {
	t.later(markCallbackSQL, ms(at), id)
	return nil
}

// wakeSQL is Wake's statement: one statement whose result nothing reads
// (it waits in the queue); the NOTIFY is sent only when a row was woken.
const wakeSQL = `WITH woken AS (UPDATE checkouts SET
		next_check_at = CASE WHEN lease_until > $1 THEN next_check_at ELSE $1 END,
		lease_until = CASE WHEN lease_until > $1 THEN lease_until ELSE NULL END,
		attempts = 0, wake_reason = $2, wake_seq = wake_seq + 1, rev = rev + 1
		WHERE id = $3 AND state NOT IN ('succeeded','failed','cancelled') RETURNING 1)
		SELECT pg_notify($4, $5) FROM (SELECT 1 FROM woken LIMIT 1) w`

// markAndWakeSQL is markCallbackSQL and wakeSQL of one checkout in one
// update: the row gets one new version instead of two (every version of
// a checkout is an entry in each of its indexes, the row's next_check_at
// moving, and a dead tuple at the low end of checkouts_due to walk until
// vacuumed). A checkout settled meanwhile is marked and not woken, as by
// the two statements.
const markAndWakeSQL = `WITH marked AS (UPDATE checkouts SET
		callback_received_at = COALESCE(callback_received_at, $6),
		next_check_at = CASE WHEN state IN ('succeeded','failed','cancelled') OR lease_until > $1 THEN next_check_at ELSE $1 END,
		lease_until = CASE WHEN state IN ('succeeded','failed','cancelled') OR lease_until > $1 THEN lease_until ELSE NULL END,
		attempts = CASE WHEN state IN ('succeeded','failed','cancelled') THEN attempts ELSE 0 END,
		wake_reason = CASE WHEN state IN ('succeeded','failed','cancelled') THEN wake_reason ELSE $2 END,
		wake_seq = wake_seq + CASE WHEN state IN ('succeeded','failed','cancelled') THEN 0 ELSE 1 END,
		rev = rev + CASE WHEN state IN ('succeeded','failed','cancelled') THEN 1 ELSE 2 END
		WHERE id = $3 RETURNING state)
		SELECT pg_notify($4, $5) FROM (SELECT 1 FROM marked WHERE state NOT IN ('succeeded','failed','cancelled') LIMIT 1) w`

// Wake implements store.Tx, as on SQLite: a checkout whose check is in
// flight keeps its lease; the bumped wake_seq makes Apply schedule it
// again at once. It announces that a check is due to every instance.
func (t *tx) Wake(ctx context.Context, id, reason string, now time.Time) error {
	t.later(wakeSQL, ms(now), reason, id, t.channel, signalPayload(store.Signal{Kind: store.SignalCheckDue}))
	return nil
}

// MarkAndWake is MarkCallbackReceived(id, at) then Wake(id, reason, now)
// in one statement (markAndWakeSQL), the store's shortcut for a callback
// that wakes its checkout; it waits in the queue as they do.
func (t *tx) MarkAndWake(ctx context.Context, id string, at time.Time, reason string, now time.Time) error {
	t.later(markAndWakeSQL, ms(now), reason, id, t.channel, signalPayload(store.Signal{Kind: store.SignalCheckDue}), ms(at))
	return nil
}

// AppendEvent implements store.Tx.
func (t *tx) AppendEvent(ctx context.Context, e store.Event) error {
	t.later(`INSERT INTO events (checkout_id, at, source, type, provider_status, from_state, to_state, detail)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8)`, e.CheckoutID, ms(e.At), e.Source, e.Type, e.ProviderStatus, string(e.FromState), string(e.ToState), e.Detail)
	return nil
}

// LastEventAt implements store.Tx.
func (t *tx) LastEventAt(ctx context.Context, checkoutID, typ string) (*time.Time, error) {
	var at *int64
	if err := t.QueryRow(t.ctx, `SELECT max(at) FROM events WHERE checkout_id = $1 AND type = $2`, checkoutID, typ).Scan(&at); err != nil {
		return nil, fmt.Errorf("last %s event: %w", typ, err)
	}
	return timePtr(at), nil
}

// listCheckoutsSQL is ListCheckouts' query. Each filter has its index
// (migrations 0001, 0002; pinned by TestListQueriesUseTheirIndexes): a
// reference or provider_ref is a search of its unique index per provider,
// a state walks (merchant_id, state, created_at, id) in order, no filter
// walks (merchant_id, created_at, id).
func listCheckoutsSQL(merchantID string, q store.CheckoutQuery) (string, []any) {
	where := []string{`merchant_id = $1`}
	args := []any{merchantID}
	add := func(cond string, vals ...any) { // each ? becomes the next $n
		for _, v := range vals {
			args = append(args, v)
			cond = strings.Replace(cond, "?", "$"+strconv.Itoa(len(args)), 1)
		}
		where = append(where, cond)
	}
	if len(q.Providers) > 0 {
		add(`provider = ANY(?)`, q.Providers)
	}
	if q.Reference != "" {
		add(`reference = ?`, q.Reference)
	}
	if q.ProviderRef != "" {
		add(`provider_ref = ?`, q.ProviderRef)
	}
	if q.State != "" {
		add(`state = ?`, string(q.State))
	}
	if q.After != nil {
		add(`(created_at, id) < (?, ?)`, ms(q.After.CreatedAt), q.After.ID)
	}
	args = append(args, q.Limit)
	return `SELECT ` + rowscan.CheckoutColumns + ` FROM checkouts WHERE ` + strings.Join(where, " AND ") +
		` ORDER BY created_at DESC, id DESC LIMIT $` + strconv.Itoa(len(args)), args
}
