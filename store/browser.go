package store

import (
	"context"
	"database/sql"
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
func (db *DB) BrowserReturned(ctx context.Context, token string, minGap time.Duration) (c Checkout, recorded bool, err error) {
	err = db.exec(ctx, func(tx *sql.Tx) error {
		now := db.Now()
		c, err = getCheckout(tx, `token = ?`, token)
		if err != nil || c.State.Terminal() {
			return err
		}
		last, err := lastEventAt(tx, c.ID, EventBrowserReturned)
		if err != nil {
			return err
		}
		if last != nil && now.Sub(*last) < minGap {
			return nil
		}
		if err := appendEvent(tx, Event{CheckoutID: c.ID, At: now, Source: "browser", Type: EventBrowserReturned}); err != nil {
			return err
		}
		if err := wake(tx, c.ID, SourceBrowserReturn, now); err != nil {
			return err
		}
		recorded = true
		c, err = getCheckout(tx, `id = ?`, c.ID)
		return err
	})
	if err != nil {
		return Checkout{}, false, fmt.Errorf("record browser return: %w", err)
	}
	return c, recorded, nil
}

// lastEventAt returns the time of the checkout's latest event of type typ,
// or nil when there is none.
func lastEventAt(tx *sql.Tx, checkoutID, typ string) (*time.Time, error) {
	var at sql.NullInt64
	if err := tx.QueryRow(`SELECT max(at) FROM events WHERE checkout_id = ? AND type = ?`, checkoutID, typ).Scan(&at); err != nil {
		return nil, fmt.Errorf("last %s event: %w", typ, err)
	}
	return timePtr(at), nil
}
