package store

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// errCheckoutNotFound is the one answer for an unknown checkout and for
// another merchant's.
var errCheckoutNotFound = Errorf(ENOTFOUND, "checkout not found")

// Checkout returns the merchant's checkout with the given id; a checkout of
// another merchant is ENOTFOUND, exactly like an unknown id.
func (db *DB) Checkout(ctx context.Context, merchantID, id string) (Checkout, error) {
	return db.b.Checkout(ctx, merchantID, id)
}

// CheckoutRev returns the Rev of the merchant's checkout (see
// Checkout.Rev): a read of one column, for a cache to check that what it
// holds is current. A checkout of another merchant is ENOTFOUND, like an
// unknown id.
func (db *DB) CheckoutRev(ctx context.Context, merchantID, id string) (int64, error) {
	return db.b.CheckoutRev(ctx, merchantID, id)
}

// CheckoutByToken returns the checkout whose hosted pages use token, or ENOTFOUND.
func (db *DB) CheckoutByToken(ctx context.Context, token string) (Checkout, error) {
	return db.b.CheckoutByToken(ctx, token)
}

// CheckoutByID returns the checkout with id whatever its merchant, or
// ENOTFOUND. It is for the service's own plumbing (relaying changes
// between instances), never for answering a merchant.
func (db *DB) CheckoutByID(ctx context.Context, id string) (Checkout, error) {
	return db.b.CheckoutByID(ctx, id)
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
	q := CheckoutQuery{Reference: f.Reference, ProviderRef: f.ProviderRef, State: f.State, Limit: limit + 1}
	if q.Reference != "" || q.ProviderRef != "" {
		q.Providers = []string{ProviderPayUnit, ProviderAzotte}
	}
	if f.Cursor != "" {
		pos, err := decodeCursor(f.Cursor)
		if err != nil {
			return nil, "", err
		}
		q.After = &pos
	}
	out, err := db.b.ListCheckouts(ctx, merchantID, q)
	if err != nil {
		return nil, "", fmt.Errorf("list checkouts: %w", err)
	}
	out, next := page(out, limit)
	return out, next, nil
}

// page cuts out, read with limit+1 rows, to limit and returns the cursor
// of the next page ("" when out was the last one).
func page(out []Checkout, limit int) ([]Checkout, string) {
	if len(out) <= limit {
		return out, ""
	}
	out = out[:limit]
	last := out[limit-1]
	return out, encodeCursor(CheckoutPosition{CreatedAt: last.CreatedAt, ID: last.ID})
}

func encodeCursor(p CheckoutPosition) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(p.CreatedAt.UnixMilli(), 10) + "|" + p.ID))
}

func decodeCursor(s string) (CheckoutPosition, error) {
	bad := Errorf(EINVALID, "cursor is not one this API returned")
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return CheckoutPosition{}, bad
	}
	atText, id, ok := strings.Cut(string(raw), "|")
	at, err := strconv.ParseInt(atText, 10, 64)
	if !ok || err != nil {
		return CheckoutPosition{}, bad
	}
	return CheckoutPosition{CreatedAt: time.UnixMilli(at).UTC(), ID: id}, nil
}

// Events returns the log of the merchant's checkout, oldest first, or ENOTFOUND.
func (db *DB) Events(ctx context.Context, merchantID, checkoutID string) ([]Event, error) {
	if _, err := db.Checkout(ctx, merchantID, checkoutID); err != nil {
		return nil, err
	}
	out, err := db.b.Events(ctx, checkoutID)
	if err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	return out, nil
}
