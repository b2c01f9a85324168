package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

const checkoutColumns = `id, merchant_id, provider, reference, provider_ref, amount, currency, success_url, cancel_url,
	token, idempotency_key, state, provider_status, action, anomaly_code, anomaly_detail, resolved_by,
	callback_received_at, last_checked_at, next_check_at, created_at, updated_at, version,
	attempts, wake_reason, wake_seq, claim_seq`

func scanCheckout(row interface{ Scan(...any) error }) (Checkout, error) {
	var c Checkout
	var ref, pref, idem, action sql.NullString
	var anomalyCode, anomalyDetail string
	var cb, last, next sql.NullInt64
	var created, updated int64
	err := row.Scan(&c.ID, &c.MerchantID, &c.Provider, &ref, &pref, &c.Amount, &c.Currency, &c.SuccessURL, &c.CancelURL,
		&c.Token, &idem, &c.State, &c.ProviderStatus, &action, &anomalyCode, &anomalyDetail, &c.ResolvedBy,
		&cb, &last, &next, &created, &updated, &c.Version,
		&c.Attempts, &c.WakeReason, &c.WakeSeq, &c.ClaimSeq)
	if err != nil {
		return Checkout{}, err
	}
	c.Reference, c.ProviderRef, c.IdempotencyKey = ref.String, pref.String, idem.String
	if action.Valid {
		c.Action = &Action{Instructions: json.RawMessage(action.String)}
	}
	if anomalyCode != "" {
		c.Anomaly = &Anomaly{Code: anomalyCode, Detail: anomalyDetail}
	}
	c.CallbackReceivedAt, c.LastCheckedAt, c.NextCheckAt = timePtr(cb), timePtr(last), timePtr(next)
	c.CreatedAt, c.UpdatedAt = fromMS(created), fromMS(updated)
	return c, nil
}

func getCheckout(q interface {
	QueryRow(string, ...any) *sql.Row
}, where string, args ...any) (Checkout, error) {
	c, err := scanCheckout(q.QueryRow(`SELECT `+checkoutColumns+` FROM checkouts WHERE `+where, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return Checkout{}, Errorf(ENOTFOUND, "checkout not found")
	}
	if err != nil {
		return Checkout{}, fmt.Errorf("read checkout: %w", err)
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

// Checkout returns the merchant's checkout with the given id; a checkout of
// another merchant is ENOTFOUND, exactly like an unknown id.
func (db *DB) Checkout(ctx context.Context, merchantID, id string) (Checkout, error) {
	return getCheckout(readConn{ctx, db.read}, `id = ? AND merchant_id = ?`, id, merchantID)
}

// CheckoutByToken returns the checkout whose hosted pages use token, or ENOTFOUND.
func (db *DB) CheckoutByToken(ctx context.Context, token string) (Checkout, error) {
	return getCheckout(readConn{ctx, db.read}, `token = ?`, token)
}

// CheckoutFilter narrows ListCheckouts. Empty fields don't filter.
type CheckoutFilter struct {
	Reference   string
	ProviderRef string
	State       State
	Limit       int    // 1..500, default 50
	Cursor      string // from a previous page's next cursor
}

// ListCheckouts returns the merchant's checkouts matching f, newest first,
// and the cursor of the next page ("" on the last page).
func (db *DB) ListCheckouts(ctx context.Context, merchantID string, f CheckoutFilter) ([]Checkout, string, error) {
	limit := f.Limit
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	where := []string{`merchant_id = ?`}
	args := []any{merchantID}
	if f.Reference != "" {
		where, args = append(where, `reference = ?`), append(args, f.Reference)
	}
	if f.ProviderRef != "" {
		where, args = append(where, `provider_ref = ?`), append(args, f.ProviderRef)
	}
	if f.State != "" {
		where, args = append(where, `state = ?`), append(args, string(f.State))
	}
	if f.Cursor != "" {
		at, id, err := decodeCursor(f.Cursor)
		if err != nil {
			return nil, "", err
		}
		where, args = append(where, `(created_at, id) < (?, ?)`), append(args, at, id)
	}
	q := `SELECT ` + checkoutColumns + ` FROM checkouts WHERE ` + strings.Join(where, " AND ") +
		` ORDER BY created_at DESC, id DESC LIMIT ?`
	rows, err := db.read.QueryContext(ctx, q, append(args, limit+1)...)
	if err != nil {
		return nil, "", fmt.Errorf("list checkouts: %w", err)
	}
	defer rows.Close()
	var out []Checkout
	for rows.Next() {
		c, err := scanCheckout(rows)
		if err != nil {
			return nil, "", fmt.Errorf("list checkouts: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("list checkouts: %w", err)
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		last := out[limit-1]
		next = encodeCursor(ms(last.CreatedAt), last.ID)
	}
	return out, next, nil
}

func encodeCursor(at int64, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(at, 10) + "|" + id))
}

func decodeCursor(s string) (int64, string, error) {
	bad := Errorf(EINVALID, "cursor is not one this API returned")
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return 0, "", bad
	}
	atText, id, ok := strings.Cut(string(raw), "|")
	at, err := strconv.ParseInt(atText, 10, 64)
	if !ok || err != nil {
		return 0, "", bad
	}
	return at, id, nil
}

// Events returns the log of the merchant's checkout, oldest first, or ENOTFOUND.
func (db *DB) Events(ctx context.Context, merchantID, checkoutID string) ([]Event, error) {
	if _, err := db.Checkout(ctx, merchantID, checkoutID); err != nil {
		return nil, err
	}
	rows, err := db.read.QueryContext(ctx, `SELECT id, checkout_id, at, source, type, provider_status, from_state, to_state, detail
		FROM events WHERE checkout_id = ? ORDER BY id`, checkoutID)
	if err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		var at int64
		if err := rows.Scan(&e.ID, &e.CheckoutID, &at, &e.Source, &e.Type, &e.ProviderStatus, &e.FromState, &e.ToState, &e.Detail); err != nil {
			return nil, fmt.Errorf("list events: %w", err)
		}
		e.At = fromMS(at)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	return out, nil
}

func appendEvent(tx *sql.Tx, e Event) error {
	_, err := tx.Exec(`INSERT INTO events (checkout_id, at, source, type, provider_status, from_state, to_state, detail)
		VALUES (?,?,?,?,?,?,?,?)`, e.CheckoutID, ms(e.At), e.Source, e.Type, e.ProviderStatus, string(e.FromState), string(e.ToState), e.Detail)
	if err != nil {
		return fmt.Errorf("append event: %w", err)
	}
	return nil
}

// wake makes a checkout due at once for the given reason. Terminal
// checkouts are left alone: their verdict can't change. A checkout whose
// check is in flight keeps its lease (no second check in parallel); the
// bumped wake_seq makes Apply schedule it again at once.
func wake(tx *sql.Tx, id, reason string, now time.Time) error {
	_, err := tx.Exec(`UPDATE checkouts SET
		next_check_at = CASE WHEN lease_until > ?1 THEN next_check_at ELSE ?1 END,
		lease_until = CASE WHEN lease_until > ?1 THEN lease_until ELSE NULL END,
		attempts = 0, wake_reason = ?2, wake_seq = wake_seq + 1
		WHERE id = ?3 AND state NOT IN ('succeeded','failed','cancelled')`, ms(now), reason, id)
	if err != nil {
		return fmt.Errorf("wake checkout: %w", err)
	}
	return nil
}

// RequestCheck records that the merchant asked for a fresh provider check
// (a refresh_requested event) and makes the checkout due at once. It
// returns the checkout, or ENOTFOUND. The buyer's browser goes through
// BrowserReturned instead, which is throttled.
func (db *DB) RequestCheck(ctx context.Context, merchantID, id string) (Checkout, error) {
	var out Checkout
	err := db.exec(ctx, func(tx *sql.Tx) error {
		now := db.Now()
		c, err := getCheckout(tx, `id = ? AND merchant_id = ?`, id, merchantID)
		if err != nil {
			return err
		}
		if err := appendEvent(tx, Event{CheckoutID: id, At: now, Source: "merchant", Type: EventRefreshRequested}); err != nil {
			return err
		}
		if err := wake(tx, id, SourceRefresh, now); err != nil {
			return err
		}
		out, err = getCheckout(tx, `id = ?`, c.ID)
		return err
	})
	return out, err
}
