package store

import (
	"context"
	"fmt"
	"time"
)

// Scope is whose data a console read may return: every merchant's (the
// operator) or one merchant's. Backends put it in the query itself (a
// merchant scope always adds merchant_id = ?), so a page can't show what
// the store didn't return. The zero Scope is a merchant scope with no
// merchant: it matches nothing.
type Scope struct {
	All        bool   // the operator: every merchant
	MerchantID string // without All: only this merchant's rows
}

// OperatorScope is every merchant's data.
func OperatorScope() Scope { return Scope{All: true} }

// MerchantScope is one merchant's data only.
func MerchantScope(merchantID string) Scope { return Scope{MerchantID: merchantID} }

// Allows reports whether a row of merchantID is within the scope.
func (s Scope) Allows(merchantID string) bool {
	return s.All || (s.MerchantID != "" && s.MerchantID == merchantID)
}

// SearchQuery is a page of SearchCheckouts as a backend sees it. Empty
// fields don't filter.
type SearchQuery struct {
	Scope      Scope
	ID         string // exactly this checkout id
	Q          string // an id, reference or provider_ref, exactly
	State      State
	Provider   string
	MerchantID string // narrows an operator's search to one merchant
	// Anomaly is "" (no filter), AnomalyAny, or one anomaly code.
	Anomaly string
	Limit   int
	After   *CheckoutPosition
}

// AnomalyAny in SearchQuery.Anomaly matches every checkout with an anomaly.
const AnomalyAny = "any"

// SettledCount is how many checkouts of one provider a source settled.
type SettledCount struct {
	Provider   string
	ResolvedBy string // SourceCallback, SourcePoll or SourceBrowserReturn
	N          int
}

// StoredNotification is a provider callback as paysync received it.
type StoredNotification struct {
	ID                 int64
	Provider           string
	TransactionID      string
	ProviderCheckoutID string
	Status             string // what the callback claimed
	ContentType        string
	Query              string
	Body               []byte
	ReceivedAt         time.Time
	// Repeats is how many identical callbacks this row stands for (1 for
	// most), the last at LastReceivedAt; Overflow says it stands for the
	// callbacks beyond the checkout's bounds, whose bodies aren't kept.
	Repeats        int
	LastReceivedAt *time.Time
	Overflow       bool
}

// ConsoleFilter narrows SearchCheckouts. Empty fields don't filter.
type ConsoleFilter struct {
	Q          string
	State      State
	Provider   string
	MerchantID string
	Anomaly    string
	Limit      int    // 1..200, default 50
	Cursor     string // from a previous page
}

// SearchCheckouts returns the checkouts within scope matching f, newest
// first, and the cursor of the next page ("" on the last page).
func (db *DB) SearchCheckouts(ctx context.Context, scope Scope, f ConsoleFilter) ([]Checkout, string, error) {
	limit := f.Limit
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	q := SearchQuery{Scope: scope, Q: f.Q, State: f.State, Provider: f.Provider, MerchantID: f.MerchantID,
		Anomaly: f.Anomaly, Limit: limit + 1}
	if f.Cursor != "" {
		pos, err := decodeCursor(f.Cursor)
		if err != nil {
			return nil, "", err
		}
		q.After = &pos
	}
	out, err := db.b.SearchCheckouts(ctx, q)
	if err != nil {
		return nil, "", fmt.Errorf("search checkouts: %w", err)
	}
	out, next := page(out, limit)
	return out, next, nil
}

// ScopedCheckout returns the checkout with id if it is within scope;
// otherwise ENOTFOUND, exactly like an unknown id.
func (db *DB) ScopedCheckout(ctx context.Context, scope Scope, id string) (Checkout, error) {
	out, err := db.b.SearchCheckouts(ctx, SearchQuery{Scope: scope, ID: id, Limit: 1})
	if err != nil {
		return Checkout{}, fmt.Errorf("read checkout: %w", err)
	}
	if len(out) == 0 {
		return Checkout{}, errCheckoutNotFound
	}
	return out[0], nil
}

// Timeline is everything paysync saw of one checkout.
type Timeline struct {
	Checkout      Checkout
	Events        []Event
	Notifications []StoredNotification
	Deliveries    []Delivery // newest first, each with its attempts
}

// CheckoutTimeline returns the checkout with id, within scope, with its
// events, raw callbacks and webhook deliveries; ENOTFOUND outside scope.
func (db *DB) CheckoutTimeline(ctx context.Context, scope Scope, id string) (Timeline, error) {
	c, err := db.ScopedCheckout(ctx, scope, id)
	if err != nil {
		return Timeline{}, err
	}
	t := Timeline{Checkout: c}
	if t.Events, err = db.b.Events(ctx, id); err != nil {
		return Timeline{}, fmt.Errorf("list events: %w", err)
	}
	if t.Notifications, err = db.b.CheckoutNotifications(ctx, id); err != nil {
		return Timeline{}, fmt.Errorf("list notifications: %w", err)
	}
	if t.Deliveries, err = db.Deliveries(ctx, c.MerchantID, DeliveryFilter{CheckoutID: id, Limit: 200}); err != nil {
		return Timeline{}, err
	}
	return t, nil
}

// Overview is what an operator or a merchant needs to see first.
type Overview struct {
	Counts    map[State]int
	Anomalies []Checkout // newest first, at most 20
	Expired   []Checkout // newest first, at most 20
	// Deliveries are the failed and held (endpoint disabled) ones, most
	// recently changed first, at most 50, without History.
	Deliveries []Delivery
	// Settled is who settled the checkouts that reached a terminal state
	// since Since, per provider.
	Settled []SettledCount
	Since   time.Time
	// Dead are acknowledged callbacks the database refused to record,
	// moved aside by the inbox drain (BuryInbox), most recent first, at
	// most 20, of DeadTotal.
	Dead      []DeadEntry
	DeadTotal int
}

// Overview returns the scope's counts by state, what needs attention and
// the settled-by shares over the last window.
func (db *DB) Overview(ctx context.Context, scope Scope, window time.Duration) (Overview, error) {
	o := Overview{Since: db.Now().Add(-window)}
	var err error
	if o.Counts, err = db.b.CountCheckoutsByState(ctx, scope); err != nil {
		return Overview{}, fmt.Errorf("count checkouts: %w", err)
	}
	if o.Anomalies, err = db.b.SearchCheckouts(ctx, SearchQuery{Scope: scope, Anomaly: AnomalyAny, Limit: 20}); err != nil {
		return Overview{}, fmt.Errorf("list anomalies: %w", err)
	}
	if o.Expired, err = db.b.SearchCheckouts(ctx, SearchQuery{Scope: scope, State: StateExpired, Limit: 20}); err != nil {
		return Overview{}, fmt.Errorf("list expired: %w", err)
	}
	if o.Deliveries, err = db.b.DeliveriesByStatus(ctx, scope, []string{DeliveryFailed, DeliveryDisabled}, 50); err != nil {
		return Overview{}, fmt.Errorf("list failed deliveries: %w", err)
	}
	if o.Settled, err = db.b.SettledBy(ctx, scope, o.Since); err != nil {
		return Overview{}, fmt.Errorf("settled by: %w", err)
	}
	if o.Dead, o.DeadTotal, err = db.DeadEntries(ctx, scope, 20); err != nil {
		return Overview{}, err
	}
	return o, nil
}

// FailedDeliveries returns the scope's failed and held deliveries, most
// recently changed first, each with its attempts.
func (db *DB) FailedDeliveries(ctx context.Context, scope Scope, limit int) ([]Delivery, error) {
	out, err := db.b.DeliveriesByStatus(ctx, scope, []string{DeliveryFailed, DeliveryDisabled}, limit)
	if err != nil {
		return nil, fmt.Errorf("list failed deliveries: %w", err)
	}
	for i := range out {
		if out[i].History, err = db.b.Attempts(ctx, out[i].ID); err != nil {
			return nil, fmt.Errorf("list attempts: %w", err)
		}
	}
	return out, nil
}

// RedeliverInScope is Redeliver for a console session: the delivery must
// be within scope (ENOTFOUND otherwise); the merchant is the delivery's.
func (db *DB) RedeliverInScope(ctx context.Context, scope Scope, id string) (Delivery, error) {
	var out Delivery
	err := db.write(ctx, func(tx Tx) error {
		d, err := tx.DeliveryForUpdate(ctx, id)
		if err != nil {
			return err
		}
		if !scope.Allows(d.MerchantID) {
			return Errorf(ENOTFOUND, "delivery not found")
		}
		out, err = redeliver(ctx, tx, d, db.Now())
		return err
	})
	if err != nil {
		return Delivery{}, fmt.Errorf("redeliver: %w", err)
	}
	return out, nil
}

// redeliver reschedules d unless its merchant's endpoint is disabled or unset (ECONFLICT).
func redeliver(ctx context.Context, tx Tx, d Delivery, now time.Time) (Delivery, error) {
	url, disabled, err := tx.WebhookTarget(ctx, d.MerchantID)
	if err != nil {
		return Delivery{}, err
	}
	if url == "" || disabled {
		return Delivery{}, Errorf(ECONFLICT, "the merchant's webhook endpoint is disabled or unset; re-enable it first")
	}
	return tx.RescheduleDelivery(ctx, d.ID, now)
}

// ReplayFailedSince makes every failed delivery within scope that failed
// at or after since due now with a fresh schedule (Svix's "recover failed
// messages"), in one transaction. Deliveries of a merchant whose endpoint
// is disabled or unset stay failed. It returns how many were replayed.
func (db *DB) ReplayFailedSince(ctx context.Context, scope Scope, since time.Time) (int, error) {
	n := 0
	err := db.write(ctx, func(tx Tx) error {
		n = 0
		now := db.Now()
		failed, err := tx.FailedDeliveriesSince(ctx, scope, since)
		if err != nil {
			return err
		}
		usable := map[string]bool{}
		for _, d := range failed {
			ok, seen := usable[d.MerchantID]
			if !seen {
				url, disabled, err := tx.WebhookTarget(ctx, d.MerchantID)
				if err != nil {
					return err
				}
				ok = url != "" && !disabled
				usable[d.MerchantID] = ok
			}
			if !ok {
				continue
			}
			if _, err := tx.RescheduleDelivery(ctx, d.ID, now); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("replay failed deliveries: %w", err)
	}
	return n, nil
}

// CheckNow asks for an immediate provider check of a checkout within
// scope (RequestCheck for its merchant); ENOTFOUND outside scope.
func (db *DB) CheckNow(ctx context.Context, scope Scope, id string) (Checkout, error) {
	c, err := db.ScopedCheckout(ctx, scope, id)
	if err != nil {
		return Checkout{}, err
	}
	return db.RequestCheck(ctx, c.MerchantID, id)
}
