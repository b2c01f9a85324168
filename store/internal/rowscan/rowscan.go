// Package rowscan is what the SQL backends share about rows: the column
// lists of checkouts, merchants and deliveries, how a row becomes a store
// value, and the time encoding (Unix milliseconds, UTC). Each backend
// keeps its own SQL; scanning goes through here so the two can't drift.
package rowscan

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/paysync/paysync/store"
)

// Scanner is a row of either backend (database/sql or pgx).
type Scanner interface{ Scan(dest ...any) error }

// CheckoutColumns are the columns ScanCheckout reads, in order.
const CheckoutColumns = `id, merchant_id, provider, reference, provider_ref, amount, currency, success_url, cancel_url,
	token, idempotency_key, state, provider_status, action, anomaly_code, anomaly_detail, resolved_by,
	callback_received_at, last_checked_at, next_check_at, created_at, updated_at, version,
	attempts, wake_reason, wake_seq, claim_seq, settled_at, history_purged_at, rev, start_requested, pay_url`

// ScanCheckout reads a row of CheckoutColumns, then extra.
func ScanCheckout(row Scanner, extra ...any) (store.Checkout, error) {
	var c store.Checkout
	var ref, pref, idem, action, payURL *string
	var anomalyCode, anomalyDetail, state string
	var cb, last, next, settled, purged *int64
	var created, updated int64
	dest := []any{&c.ID, &c.MerchantID, &c.Provider, &ref, &pref, &c.Amount, &c.Currency, &c.SuccessURL, &c.CancelURL,
		&c.Token, &idem, &state, &c.ProviderStatus, &action, &anomalyCode, &anomalyDetail, &c.ResolvedBy,
		&cb, &last, &next, &created, &updated, &c.Version,
		&c.Attempts, &c.WakeReason, &c.WakeSeq, &c.ClaimSeq, &settled, &purged, &c.Rev, &c.StartRequested, &payURL}
	if err := row.Scan(append(dest, extra...)...); err != nil {
		return store.Checkout{}, err
	}
	c.State = store.State(state)
	c.SettledAt, c.HistoryPurgedAt = TimePtr(settled), TimePtr(purged)
	c.Reference, c.ProviderRef, c.IdempotencyKey, c.PayURL = Deref(ref), Deref(pref), Deref(idem), Deref(payURL)
	if action != nil {
		c.Action = &store.Action{Instructions: json.RawMessage(*action)}
	}
	if anomalyCode != "" {
		c.Anomaly = &store.Anomaly{Code: anomalyCode, Detail: anomalyDetail}
	}
	c.CallbackReceivedAt, c.LastCheckedAt, c.NextCheckAt = TimePtr(cb), TimePtr(last), TimePtr(next)
	c.CreatedAt, c.UpdatedAt = FromMS(created), FromMS(updated)
	return c, nil
}

// MerchantColumns are the columns ScanMerchant reads, in order.
const MerchantColumns = `id, name, hook_token, webhook_url, return_hosts, payunit_base_url, payunit_mode, azotte_base_url, created_at, webhook_disabled_at`

// ScanMerchant reads a row of MerchantColumns.
func ScanMerchant(row Scanner) (store.Merchant, error) {
	var m store.Merchant
	var hosts, puURL, puMode, azURL string
	var created int64
	var disabled *int64
	if err := row.Scan(&m.ID, &m.Name, &m.HookToken, &m.WebhookURL, &hosts, &puURL, &puMode, &azURL, &created, &disabled); err != nil {
		return store.Merchant{}, err
	}
	if err := json.Unmarshal([]byte(hosts), &m.ReturnHosts); err != nil {
		return store.Merchant{}, fmt.Errorf("return_hosts: %w", err)
	}
	if puURL != "" {
		m.PayUnit = &store.PayUnitAccount{BaseURL: puURL, Mode: puMode}
	}
	if azURL != "" {
		m.Azotte = &store.AzotteAccount{BaseURL: azURL}
	}
	m.CreatedAt = FromMS(created)
	m.WebhookDisabledAt = TimePtr(disabled)
	return m, nil
}

// MerchantRow is a merchant's public columns as an insert writes them.
type MerchantRow struct {
	ReturnHosts                        string // JSON array
	PayUnitURL, PayUnitMode, AzotteURL string
}

// NewMerchantRow encodes m's columns that are not plain fields.
func NewMerchantRow(m store.Merchant) (MerchantRow, error) {
	hosts, err := json.Marshal(m.ReturnHosts)
	if err != nil {
		return MerchantRow{}, err
	}
	r := MerchantRow{ReturnHosts: string(hosts)}
	if m.PayUnit != nil {
		r.PayUnitURL, r.PayUnitMode = m.PayUnit.BaseURL, m.PayUnit.Mode
	}
	if m.Azotte != nil {
		r.AzotteURL = m.Azotte.BaseURL
	}
	return r, nil
}

// DeliveryColumns are the columns ScanDelivery reads, in order.
const DeliveryColumns = `id, merchant_id, checkout_id, version, type, snapshot, body, status, attempts,
	next_attempt_at, claim_seq, created_at, updated_at`

// ScanDelivery reads a row of DeliveryColumns; the snapshot column is the
// checkout as JSON.
func ScanDelivery(row Scanner) (store.Delivery, error) {
	var d store.Delivery
	var snap []byte
	var next *int64
	var created, updated int64
	if err := row.Scan(&d.ID, &d.MerchantID, &d.CheckoutID, &d.Version, &d.Type, &snap, &d.Body, &d.Status,
		&d.Attempts, &next, &d.ClaimSeq, &created, &updated); err != nil {
		return store.Delivery{}, err
	}
	if err := json.Unmarshal(snap, &d.Checkout); err != nil {
		return store.Delivery{}, fmt.Errorf("delivery %s snapshot: %w", d.ID, err)
	}
	d.NextAttemptAt, d.CreatedAt, d.UpdatedAt = TimePtr(next), FromMS(created), FromMS(updated)
	return d, nil
}

// AttemptColumns are the columns ScanAttempt reads, in order.
const AttemptColumns = `at, url, status_code, error, latency_ms, response`

// ScanAttempt reads a row of AttemptColumns.
func ScanAttempt(row Scanner) (store.DeliveryAttempt, error) {
	var a store.DeliveryAttempt
	var at, latency int64
	if err := row.Scan(&at, &a.URL, &a.StatusCode, &a.Error, &latency, &a.Response); err != nil {
		return store.DeliveryAttempt{}, err
	}
	a.At, a.Latency = FromMS(at), time.Duration(latency)*time.Millisecond
	return a, nil
}

// EventColumns are the columns ScanEvent reads, in order.
const EventColumns = `id, checkout_id, at, source, type, provider_status, from_state, to_state, detail, count, last_at`

// ScanEvent reads a row of EventColumns.
func ScanEvent(row Scanner) (store.Event, error) {
	var e store.Event
	var at int64
	var from, to string
	var lastAt *int64
	if err := row.Scan(&e.ID, &e.CheckoutID, &at, &e.Source, &e.Type, &e.ProviderStatus, &from, &to, &e.Detail,
		&e.Count, &lastAt); err != nil {
		return store.Event{}, err
	}
	e.At, e.FromState, e.ToState, e.LastAt = FromMS(at), store.State(from), store.State(to), TimePtr(lastAt)
	return e, nil
}

// MS is t as stored: Unix milliseconds.
func MS(t time.Time) int64 { return t.UnixMilli() }

// FromMS is a stored time as a UTC time.
func FromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

// NullMS is t as stored, nil (NULL) for nil.
func NullMS(t *time.Time) *int64 {
	if t == nil {
		return nil
	}
	v := MS(*t)
	return &v
}

// TimePtr is a nullable stored time, nil for NULL.
func TimePtr(v *int64) *time.Time {
	if v == nil {
		return nil
	}
	t := FromMS(*v)
	return &t
}

// NullString is s, or nil (NULL) when empty.
func NullString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// Deref is *s, or "" for nil.
func Deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// Rows is a result set of either backend.
type Rows interface {
	Scanner
	Next() bool
	Err() error
}

// Collect scans every row of rows with scan, in order; the caller closes rows.
func Collect[T any](rows Rows, scan func(Scanner) (T, error)) ([]T, error) {
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// Checkout is ScanCheckout without extra columns, for Collect.
func Checkout(row Scanner) (store.Checkout, error) { return ScanCheckout(row) }

// ClaimedCheckout reads a row of CheckoutColumns then claimed_due_at, as
// the claims return it: DueAt is when the claimed check was due.
func ClaimedCheckout(row Scanner) (store.Checkout, error) {
	var due int64
	c, err := ScanCheckout(row, &due)
	if err != nil {
		return store.Checkout{}, err
	}
	c.DueAt = FromMS(due)
	return c, nil
}

// EarlyColumns are the columns ScanEarly reads, in order.
const EarlyColumns = `id, status, received_at`

// ScanEarly reads a row of EarlyColumns.
func ScanEarly(row Scanner) (store.EarlyNotification, error) {
	var e store.EarlyNotification
	var at int64
	if err := row.Scan(&e.ID, &e.Status, &at); err != nil {
		return store.EarlyNotification{}, err
	}
	e.ReceivedAt = FromMS(at)
	return e, nil
}

// NotificationColumns are the columns ScanNotification reads, in order.
const NotificationColumns = `id, provider, transaction_id, provider_checkout_id, status, content_type, query, body, received_at, repeats, last_received_at, digest`

// ScanNotification reads a row of NotificationColumns.
func ScanNotification(row Scanner) (store.StoredNotification, error) {
	var n store.StoredNotification
	var at int64
	var last *int64
	var digest *string
	if err := row.Scan(&n.ID, &n.Provider, &n.TransactionID, &n.ProviderCheckoutID, &n.Status, &n.ContentType,
		&n.Query, &n.Body, &at, &n.Repeats, &last, &digest); err != nil {
		return store.StoredNotification{}, err
	}
	n.ReceivedAt, n.LastReceivedAt = FromMS(at), TimePtr(last)
	n.Overflow = digest != nil && *digest == "overflow"
	return n, nil
}

// ScanSettled reads a row of (provider, resolved_by, count).
func ScanSettled(row Scanner) (store.SettledCount, error) {
	var s store.SettledCount
	err := row.Scan(&s.Provider, &s.ResolvedBy, &s.N)
	return s, err
}

// InboxColumns are the columns ScanInbox reads, in order.
const InboxColumns = `id, key, merchant_id, provider, transaction_id, provider_checkout_id, status, content_type, query, body, received_at`

// ScanInbox reads a row of InboxColumns.
func ScanInbox(row Scanner) (store.InboxEntry, error) {
	var e store.InboxEntry
	var at int64
	if err := row.Scan(&e.ID, &e.InboxKey, &e.MerchantID, &e.Provider, &e.TransactionID, &e.ProviderCheckoutID, &e.Status,
		&e.ContentType, &e.Query, &e.Body, &at); err != nil {
		return store.InboxEntry{}, err
	}
	e.ReceivedAt = FromMS(at)
	return e, nil
}

// DeadColumns are the columns ScanDead reads, in order.
const DeadColumns = InboxColumns + `, dead_at, reason`

// ScanDead reads a row of DeadColumns.
func ScanDead(row Scanner) (store.DeadEntry, error) {
	var e store.DeadEntry
	var at, dead int64
	if err := row.Scan(&e.ID, &e.InboxKey, &e.MerchantID, &e.Provider, &e.TransactionID, &e.ProviderCheckoutID, &e.Status,
		&e.ContentType, &e.Query, &e.Body, &at, &dead, &e.Reason); err != nil {
		return store.DeadEntry{}, err
	}
	e.ReceivedAt, e.DeadAt = FromMS(at), FromMS(dead)
	return e, nil
}
