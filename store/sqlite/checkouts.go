package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/paysync/paysync/store"
	"github.com/paysync/paysync/store/internal/rowscan"
)

func getCheckout(q queryRower, where string, args ...any) (store.Checkout, error) {
	c, err := rowscan.ScanCheckout(q.QueryRow(`SELECT `+rowscan.CheckoutColumns+` FROM checkouts WHERE `+where, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return store.Checkout{}, store.Errorf(store.ENOTFOUND, "checkout not found")
	}
	if err != nil {
		return store.Checkout{}, fmt.Errorf("read checkout: %w", err)
	}
	return c, nil
}

// readConn adapts the read pool with a context to getCheckout's interface.
type readConn struct {
	ctx context.Context
	db  *sql.DB
}

func (r readConn) QueryRow(q string, args ...any) *sql.Row {
	return r.db.QueryRowContext(r.ctx, q, args...)
}

// Checkout implements store.Reader.
func (b *Backend) Checkout(ctx context.Context, merchantID, id string) (store.Checkout, error) {
	return getCheckout(readConn{ctx, b.read}, `id = ? AND merchant_id = ?`, id, merchantID)
}

// CheckoutRev implements store.Reader.
func (b *Backend) CheckoutRev(ctx context.Context, merchantID, id string) (int64, error) {
	var rev int64
	err := b.read.QueryRowContext(ctx, `SELECT rev FROM checkouts WHERE id = ? AND merchant_id = ?`, id, merchantID).Scan(&rev)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, store.Errorf(store.ENOTFOUND, "checkout not found")
	}
	if err != nil {
		return 0, fmt.Errorf("read checkout rev: %w", err)
	}
	return rev, nil
}

// CheckoutByToken implements store.Reader.
func (b *Backend) CheckoutByToken(ctx context.Context, token string) (store.Checkout, error) {
	return getCheckout(readConn{ctx, b.read}, `token = ?`, token)
}

// CheckoutByID implements store.Reader.
func (b *Backend) CheckoutByID(ctx context.Context, id string) (store.Checkout, error) {
	return getCheckout(readConn{ctx, b.read}, `id = ?`, id)
}

// ListCheckouts implements store.Reader.
func (b *Backend) ListCheckouts(ctx context.Context, merchantID string, q store.CheckoutQuery) ([]store.Checkout, error) {
	query, args := listCheckoutsSQL(merchantID, q)
	rows, err := b.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return rowscan.Collect(rows, rowscan.Checkout)
}

// listCheckoutsSQL is ListCheckouts' query. Each filter has its index
// (migrations 0001, 0005; pinned by TestListQueriesUseTheirIndexes): a
// reference or provider_ref is a search of its unique index per provider,
// a state walks (merchant_id, state, created_at, id) in order, no filter
// walks (merchant_id, created_at, id).
func listCheckoutsSQL(merchantID string, q store.CheckoutQuery) (string, []any) {
	where := []string{`merchant_id = ?`}
	args := []any{merchantID}
	if len(q.Providers) > 0 {
		where = append(where, `provider IN (?`+strings.Repeat(`, ?`, len(q.Providers)-1)+`)`)
		for _, p := range q.Providers {
			args = append(args, p)
		}
	}
	if q.Reference != "" {
		where, args = append(where, `reference = ?`), append(args, q.Reference)
	}
	if q.ProviderRef != "" {
		where, args = append(where, `provider_ref = ?`), append(args, q.ProviderRef)
	}
	if q.State != "" {
		where, args = append(where, `state = ?`), append(args, string(q.State))
	}
	if q.After != nil {
		where, args = append(where, `(created_at, id) < (?, ?)`), append(args, ms(q.After.CreatedAt), q.After.ID)
	}
	// Without statistics SQLite prefers the index that needs no sort, and
	// walked every checkout of the merchant for one reference: name the
	// unique index (at most one row per provider to sort).
	table := `checkouts`
	switch {
	case q.Reference != "" && len(q.Providers) > 0:
		table += ` INDEXED BY checkouts_reference`
	case q.ProviderRef != "" && len(q.Providers) > 0:
		table += ` INDEXED BY checkouts_provider_ref`
	}
	return `SELECT ` + rowscan.CheckoutColumns + ` FROM ` + table + ` WHERE ` + strings.Join(where, " AND ") +
		` ORDER BY created_at DESC, id DESC LIMIT ?`, append(args, q.Limit)
}

// Events implements store.Reader.
func (b *Backend) Events(ctx context.Context, checkoutID string) ([]store.Event, error) {
	rows, err := b.read.QueryContext(ctx, `SELECT `+rowscan.EventColumns+` FROM events WHERE checkout_id = ? ORDER BY id`, checkoutID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return rowscan.Collect(rows, rowscan.ScanEvent)
}

// CheckoutForUpdate implements store.Tx.
func (t *tx) CheckoutForUpdate(ctx context.Context, id string) (store.Checkout, error) {
	return getCheckout(t, `id = ?`, id)
}

// CheckoutByTokenForUpdate implements store.Tx.
func (t *tx) CheckoutByTokenForUpdate(ctx context.Context, token string) (store.Checkout, error) {
	return getCheckout(t, `token = ?`, token)
}

// FindCheckoutForUpdate implements store.Tx; each identity is one search
// of its unique index.
func (t *tx) FindCheckoutForUpdate(ctx context.Context, merchantID string, id store.Identity) (store.Checkout, error) {
	switch {
	case id.IdempotencyKey != "":
		return getCheckout(t, `merchant_id = ? AND idempotency_key = ?`, merchantID, id.IdempotencyKey)
	case id.Reference != "":
		return getCheckout(t, `merchant_id = ? AND provider = ? AND reference = ?`, merchantID, id.Provider, id.Reference)
	case id.ProviderRef != "":
		return getCheckout(t, `merchant_id = ? AND provider = ? AND provider_ref = ?`, merchantID, id.Provider, id.ProviderRef)
	}
	return store.Checkout{}, store.Errorf(store.ENOTFOUND, "checkout not found")
}

// LockIdentity implements store.Tx: nothing to do, write transactions run one at a time.
func (t *tx) LockIdentity(ctx context.Context, merchantID, provider, ref string) error { return nil }

// InsertCheckout implements store.Tx.
func (t *tx) InsertCheckout(ctx context.Context, c store.Checkout) error {
	_, err := t.Exec(`INSERT INTO checkouts (id, merchant_id, provider, reference, provider_ref, amount, currency,
		success_url, cancel_url, token, idempotency_key, state, next_check_at, created_at, updated_at, version,
		start_requested, pay_url)
		VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		c.ID, c.MerchantID, c.Provider, nullString(c.Reference), nullString(c.ProviderRef), c.Amount, c.Currency,
		c.SuccessURL, c.CancelURL, c.Token, nullString(c.IdempotencyKey), string(c.State),
		nullMS(c.NextCheckAt), ms(c.CreatedAt), ms(c.UpdatedAt), c.Version, c.StartRequested, nullString(c.PayURL))
	if isUnique(err) {
		return store.ErrDuplicate
	}
	if err != nil {
		return fmt.Errorf("insert checkout: %w", err)
	}
	return nil
}

// UpdateCheckout implements store.Tx.
func (t *tx) UpdateCheckout(ctx context.Context, before, c store.Checkout) error {
	var action sql.NullString
	if c.Action != nil {
		action = sql.NullString{String: string(c.Action.Instructions), Valid: true}
	}
	var code, detail string
	if c.Anomaly != nil {
		code, detail = c.Anomaly.Code, c.Anomaly.Detail
	}
	res, err := t.Exec(`UPDATE checkouts SET state = ?, provider_status = ?, provider_ref = ?, action = ?,
		anomaly_code = ?, anomaly_detail = ?, resolved_by = ?, last_checked_at = ?, next_check_at = ?, lease_until = NULL,
		attempts = ?, updated_at = ?, version = ?, settled_at = COALESCE(settled_at, ?), pay_url = ?, rev = rev + 1
		WHERE id = ? AND version = ? AND claim_seq = ?`,
		string(c.State), c.ProviderStatus, nullString(c.ProviderRef), action, code, detail, c.ResolvedBy,
		nullMS(c.LastCheckedAt), nullMS(c.NextCheckAt), c.Attempts, ms(c.UpdatedAt), c.Version, nullMS(c.SettledAt),
		nullString(c.PayURL), c.ID, before.Version, before.ClaimSeq)
	if err != nil {
		return fmt.Errorf("update checkout: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("update checkout: %w", err)
	}
	if n != 1 {
		return store.ErrVersionConflict
	}
	return nil
}

// SetProviderRef implements store.Tx.
func (t *tx) SetProviderRef(ctx context.Context, id, ref string, now time.Time) error {
	_, err := t.Exec(`UPDATE checkouts SET provider_ref = ?, version = version + 1, updated_at = ?, rev = rev + 1 WHERE id = ?`, ref, ms(now), id)
	if isUnique(err) {
		return store.ErrDuplicate
	}
	return err
}

// ProviderRefTaken implements store.Tx.
func (t *tx) ProviderRefTaken(ctx context.Context, c store.Checkout, ref string) (bool, error) {
	var n int
	err := t.QueryRow(`SELECT count(*) FROM checkouts WHERE merchant_id = ? AND provider = ? AND provider_ref = ? AND id <> ?`,
		c.MerchantID, c.Provider, ref, c.ID).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("check provider_ref: %w", err)
	}
	return n > 0, nil
}

// probeProviderRefSQL is ProbeProviderRef's statement.
const probeProviderRefSQL = `SELECT
	EXISTS (SELECT 1 FROM checkouts WHERE merchant_id = ?1 AND provider = ?2 AND provider_ref = ?3 AND id <> ?4),
	EXISTS (SELECT 1 FROM notifications WHERE checkout_id IS NULL AND merchant_id = ?1 AND provider = ?2
		AND provider_checkout_id = ?3 AND provider_checkout_id <> '')`

// ProbeProviderRef answers store's refProber: ProviderRefTaken, and
// whether callbacks wait unmatched under ref, in one statement (a search
// of checkouts_provider_ref, one of notifications_unmatched_ref).
func (t *tx) ProbeProviderRef(ctx context.Context, c store.Checkout, ref string) (taken, waiting bool, err error) {
	err = t.QueryRow(probeProviderRefSQL, c.MerchantID, c.Provider, ref, c.ID).Scan(&taken, &waiting)
	if err != nil {
		return false, false, fmt.Errorf("probe provider_ref: %w", err)
	}
	return taken, waiting, nil
}

// MarkCallbackReceived implements store.Tx.
func (t *tx) MarkCallbackReceived(ctx context.Context, id string, at time.Time) error {
	_, err := t.Exec(`UPDATE checkouts SET callback_received_at = COALESCE(callback_received_at, ?), rev = rev + 1 WHERE id = ?`, ms(at), id)
	return err
}

// Wake implements store.Tx. Terminal checkouts are left alone: their
// verdict can't change. A checkout whose check is in flight keeps its
// lease (no second check in parallel); the bumped wake_seq makes Apply
// schedule it again at once.
func (t *tx) Wake(ctx context.Context, id, reason string, now time.Time) error {
	_, err := t.Exec(`UPDATE checkouts SET
		next_check_at = CASE WHEN lease_until > ?1 THEN next_check_at ELSE ?1 END,
		lease_until = CASE WHEN lease_until > ?1 THEN lease_until ELSE NULL END,
		attempts = 0, wake_reason = ?2, wake_seq = wake_seq + 1, rev = rev + 1
		WHERE id = ?3 AND state NOT IN ('succeeded','failed','cancelled')`, ms(now), reason, id)
	if err != nil {
		return fmt.Errorf("wake checkout: %w", err)
	}
	return nil
}

// MarkAndWake answers store's markWaker: MarkCallbackReceived and Wake
// in one update of the row. A terminal checkout, which Wake leaves alone
// (the drain calls this only for one it found not terminal), is only
// marked. (The terminal test stays in the WHERE clause: the same test in
// CASE expressions of the SET list made SQLite's update ten times
// slower.)
func (t *tx) MarkAndWake(ctx context.Context, id string, at time.Time, reason string, now time.Time) error {
	res, err := t.Exec(`UPDATE checkouts SET callback_received_at = COALESCE(callback_received_at, ?4),
		next_check_at = CASE WHEN lease_until > ?1 THEN next_check_at ELSE ?1 END,
		lease_until = CASE WHEN lease_until > ?1 THEN lease_until ELSE NULL END,
		attempts = 0, wake_reason = ?2, wake_seq = wake_seq + 1, rev = rev + 1
		WHERE id = ?3 AND state NOT IN ('succeeded','failed','cancelled')`, ms(now), reason, id, ms(at))
	if err != nil {
		return fmt.Errorf("mark callback received and wake: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return err
	}
	return t.MarkCallbackReceived(ctx, id, at) // terminal (or gone: then this changes nothing either)
}

// AppendEvent implements store.Tx.
func (t *tx) AppendEvent(ctx context.Context, e store.Event) error {
	_, err := t.Exec(`INSERT INTO events (checkout_id, at, source, type, provider_status, from_state, to_state, detail)
		VALUES (?,?,?,?,?,?,?,?)`, e.CheckoutID, ms(e.At), e.Source, e.Type, e.ProviderStatus, string(e.FromState), string(e.ToState), e.Detail)
	if err != nil {
		return fmt.Errorf("append event: %w", err)
	}
	return nil
}

// LastEventAt implements store.Tx.
func (t *tx) LastEventAt(ctx context.Context, checkoutID, typ string) (*time.Time, error) {
	var at *int64
	if err := t.QueryRow(`SELECT max(at) FROM events WHERE checkout_id = ? AND type = ?`, checkoutID, typ).Scan(&at); err != nil {
		return nil, fmt.Errorf("last %s event: %w", typ, err)
	}
	return timePtr(at), nil
}
