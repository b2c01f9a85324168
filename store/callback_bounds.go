package store

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"
)

// CallbackLimits bound the raw callbacks kept for one registered checkout
// (an outsider can name real references, often sequential, and repeat
// them). Zero fields take the defaults shown.
type CallbackLimits struct {
	PerCheckout      int   // distinct raw callbacks kept per checkout: 100
	PerCheckoutBytes int64 // their bodies' bytes: 1 MiB
}

func (l CallbackLimits) withDefaults() CallbackLimits {
	l.PerCheckout = cmp.Or(l.PerCheckout, 100)
	l.PerCheckoutBytes = cmp.Or(l.PerCheckoutBytes, 1<<20)
	return l
}

// overflowDigest marks the one row per checkout that stands for the
// callbacks beyond its bounds: their count and last time, no body.
const overflowDigest = "overflow"

// callbackDigest identifies a callback's content: an identical repeat
// (same content type, query and body) folds into the row kept.
func callbackDigest(n Notification) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00", n.ContentType, n.Query)
	h.Write(n.Body)
	return hex.EncodeToString(h.Sum(nil))
}

// foldCallback decides how a callback for the registered checkout id is
// kept, within db's CallbackLimits: an identical repeat of a row the
// checkout keeps folds into it (its repeats and last time), and so does
// any callback beyond the bounds, into the checkout's overflow row (body
// not kept); folded is then true and id is that row's. Otherwise n comes
// back with its Digest, to be inserted.
func (db *DB) foldCallback(ctx context.Context, tx Tx, checkoutID string, n Notification, at time.Time) (_ Notification, folded bool, id int64, err error) {
	n.Digest = callbackDigest(n)
	count, bytes, same, keyed, err := tx.CheckoutCallbacks(ctx, checkoutID, n.Digest, n.InboxKey)
	if err != nil {
		return n, false, 0, fmt.Errorf("checkout callbacks: %w", err)
	}
	if keyed {
		return n, false, 0, nil // recorded before: the insert skips it by its key
	}
	if same == 0 && count < db.callbacks.PerCheckout && bytes+int64(len(n.Body)) <= db.callbacks.PerCheckoutBytes {
		return n, false, 0, nil
	}
	if same == 0 { // beyond the bounds
		n.Digest, n.Body, n.Query = overflowDigest, []byte{}, ""
		if _, _, same, _, err = tx.CheckoutCallbacks(ctx, checkoutID, overflowDigest, ""); err != nil {
			return n, false, 0, fmt.Errorf("checkout callbacks: %w", err)
		}
		if same == 0 {
			return n, false, 0, nil // the overflow row's first
		}
	}
	if err := tx.RepeatNotification(ctx, same, at); err != nil {
		return n, false, 0, fmt.Errorf("repeat notification: %w", err)
	}
	return n, true, same, nil
}
