package store

import (
	"context"
	"fmt"
	"time"
)

// BrowserReturned records that the buyer's browser came back to the hosted
// return page of the checkout whose pages use token (a browser_returned
// event) and makes the checkout due at once. A return is recorded at most
// once per minGap per checkout, and never for a terminal checkout, so that
// nothing a browser does (reloads, scripted requests) makes paysync hammer
// the provider: recorded says whether this call recorded one. It returns
// the checkout, or ENOTFOUND for an unknown token.
//
// Invariant: the throttle's read (the last return) and its write happen
// with the checkout row locked, so concurrent returns record one.
func (db *DB) BrowserReturned(ctx context.Context, token string, minGap time.Duration) (c Checkout, recorded bool, err error) {
	err = db.write(ctx, func(tx Tx) error {
		now := db.Now()
		c, err = tx.CheckoutByTokenForUpdate(ctx, token)
		if err != nil || c.State.Terminal() {
			return err
		}
		last, err := tx.LastEventAt(ctx, c.ID, EventBrowserReturned)
		if err != nil {
			return err
		}
		if last != nil && now.Sub(*last) < minGap {
			return nil
		}
		if err := tx.AppendEvent(ctx, Event{CheckoutID: c.ID, At: now, Source: ByBrowser, Type: EventBrowserReturned}); err != nil {
			return err
		}
		if err := tx.Wake(ctx, c.ID, SourceBrowserReturn, now); err != nil {
			return err
		}
		recorded = true
		c, err = tx.CheckoutForUpdate(ctx, c.ID)
		return err
	})
	if err != nil {
		return Checkout{}, false, fmt.Errorf("record browser return: %w", err)
	}
	if recorded {
		db.touched(c.ID) // the wake's next_check_at
	}
	return c, recorded, nil
}

// RequestCheck records that the merchant asked for a fresh provider check
// (a refresh_requested event) and makes the checkout due at once. It
// returns the checkout, or ENOTFOUND. The buyer's browser goes through
// BrowserReturned instead, which is throttled.
func (db *DB) RequestCheck(ctx context.Context, merchantID, id string) (Checkout, error) {
	var out Checkout
	err := db.write(ctx, func(tx Tx) error {
		now := db.Now()
		c, err := tx.CheckoutForUpdate(ctx, id)
		if err != nil {
			return err
		}
		if c.MerchantID != merchantID {
			return errCheckoutNotFound
		}
		if err := tx.AppendEvent(ctx, Event{CheckoutID: id, At: now, Source: ByMerchant, Type: EventRefreshRequested}); err != nil {
			return err
		}
		if err := tx.Wake(ctx, id, SourceRefresh, now); err != nil {
			return err
		}
		out, err = tx.CheckoutForUpdate(ctx, id)
		return err
	})
	if err == nil {
		db.touched(id) // the wake's next_check_at
	}
	return out, err
}
