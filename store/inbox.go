package store

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// InboxEntry is a callback acknowledged and not yet processed.
type InboxEntry struct {
	ID int64 // set by the backend
	Notification
	ReceivedAt time.Time
}

// Accepted says what AcceptNotification did with a callback.
type Accepted struct {
	// Queued reports that the callback went to the inbox: DrainInbox
	// processes it, and the caller should get a drain going.
	Queued bool
	// Recorded is what RecordNotification did, when not Queued.
	Recorded RecordedNotification
}

// AcceptNotification is the one way in for a callback the service
// received: it stores it durably (it returns after the commit) in the
// cheapest way that loses nothing:
//
//   - when it names a registered checkout (namesRegistered), it is
//     appended to the inbox: one insert, and the matching, the event, the
//     callback mark and the wake happen just after, in DrainInbox, in
//     batches;
//   - otherwise it is recorded at once by RecordNotification, so that the
//     bounds on callbacks for checkouts not registered yet (429 with a
//     Retry-After) are decided before the answer.
//
// A checkout is never deleted, so a callback queued for a registered
// checkout still finds it when drained.
func (db *DB) AcceptNotification(ctx context.Context, n Notification) (Accepted, error) {
	if n.Body == nil {
		n.Body = []byte{}
	}
	e := InboxEntry{Notification: n, ReceivedAt: db.Now()}
	e.InboxKey = uuid.NewString()
	if a, ok := db.b.(namedAppender); ok && !db.named.knownNamed(n) {
		// One round trip: the append happens only if n names a checkout.
		queued, err := a.AppendInboxIfNamed(ctx, e)
		db.health.note(pathInboxAppend, db.Now(), err)
		if err != nil {
			return Accepted{}, fmt.Errorf("accept notification: append to the inbox: %w", err)
		}
		if queued {
			db.named.learnNamed(n)
			return Accepted{Queued: true}, nil
		}
		rec, err := db.RecordNotification(ctx, n)
		return Accepted{Recorded: rec}, err
	}
	found, err := db.namesRegistered(ctx, n)
	if err != nil {
		return Accepted{}, fmt.Errorf("accept notification: %w", err)
	}
	if !found {
		rec, err := db.RecordNotification(ctx, n)
		return Accepted{Recorded: rec}, err
	}
	err = db.b.AppendInbox(ctx, e)
	db.health.note(pathInboxAppend, db.Now(), err)
	if err != nil {
		return Accepted{}, fmt.Errorf("accept notification: append to the inbox: %w", err)
	}
	return Accepted{Queued: true}, nil
}

// namedAppender is a backend that appends a callback to the inbox only
// when it names a registered checkout (as CheckoutNamed tells), in one
// statement and one round trip: PostgreSQL's, where the read before the
// append would be a round trip of its own. It reports whether it appended.
type namedAppender interface {
	AppendInboxIfNamed(ctx context.Context, e InboxEntry) (bool, error)
}

// namesRegistered reports whether n names a registered checkout: from
// the named cache, else from one read of committed state, outside the
// writer, which the cache then remembers.
func (db *DB) namesRegistered(ctx context.Context, n Notification) (bool, error) {
	if db.named.knownNamed(n) {
		return true, nil
	}
	found, err := db.b.CheckoutNamed(ctx, n)
	if found {
		db.named.learnNamed(n)
	}
	return found, err
}

// Drained says what one DrainInbox call did.
type Drained struct {
	N      int   // entries processed (and deleted from the inbox)
	LastID int64 // the highest id taken, for a caller skipping past entries
	// Woke reports that at least one checkout was made due for a check:
	// the poller should look.
	Woke bool
	// Refused counts entries that matched no checkout when drained and
	// were beyond the merchant's bounds on unmatched callbacks: dropped.
	Refused int
}

// DrainInbox processes, in one write transaction, up to limit inbox
// entries with an id above afterID, oldest first: each as
// RecordNotification would have at its arrival (stored, attached, logged
// at its arrival time, its checkout marked and made due; one that matches
// nothing within the merchant's bounds on unmatched callbacks, or dropped
// beyond them), then deletes them. Either all of them are processed or none: on an error, Drained
// still carries LastID, the highest id taken, so the caller may retry them
// one at a time (limit 1) and step past one that fails.
//
// Invariant: the identities every entry names are locked before any
// checkout row (sorted, so two drains can't deadlock on them), as
// RegisterCheckout and Apply lock an identity before its row.
func (db *DB) DrainInbox(ctx context.Context, afterID int64, limit int) (Drained, error) {
	var out Drained
	var taken int64
	var touched []string
	err := db.write(ctx, func(tx Tx) error {
		out, touched = Drained{}, touched[:0]
		entries, err := tx.TakeInbox(ctx, afterID, limit)
		if err != nil {
			return fmt.Errorf("take inbox: %w", err)
		}
		if len(entries) == 0 {
			return nil
		}
		taken = entries[len(entries)-1].ID
		if err := lockInboxIdentities(ctx, tx, entries); err != nil {
			return err
		}
		now := db.Now()
		batch, _ := txAs[inboxBatchTx](tx)
		var matches []InboxMatch
		if batch != nil {
			if matches, err = batch.MatchInbox(ctx, entries); err != nil {
				return fmt.Errorf("match inbox entries: %w", err)
			}
		}
		ids := make([]int64, len(entries))
		for i, e := range entries {
			ids[i] = e.ID
			var rec RecordedNotification
			var err error
			if batch != nil {
				rec, err = db.recordMatched(ctx, tx, e.Notification, matches[i], batch, e.ReceivedAt, now, true)
			} else {
				rec, err = db.recordNotification(ctx, tx, e.Notification, e.ReceivedAt, now, true)
			}
			if ErrorCode(err) == ELIMIT {
				// It named a registered checkout when accepted and names none
				// now, which can't be (a checkout never gives up a reference):
				// beyond the merchant's bound it is dropped, not stored.
				out.Refused++
				continue
			}
			if err != nil {
				return fmt.Errorf("inbox entry %d: %w", e.ID, err)
			}
			out.Woke = out.Woke || rec.Woke
			if rec.CheckoutID != "" {
				touched = append(touched, rec.CheckoutID)
			}
		}
		if err := tx.DeleteInbox(ctx, ids); err != nil {
			return fmt.Errorf("delete inbox entries: %w", err)
		}
		out.N, out.LastID = len(entries), ids[len(ids)-1]
		return nil
	})
	if err != nil {
		if taken == 0 {
			db.health.note(pathDrain, db.Now(), err) // nothing taken: the database fails, not an entry
		}
		return Drained{LastID: taken}, fmt.Errorf("drain inbox: %w", err)
	}
	db.health.note(pathDrain, db.Now(), nil)
	db.touched(touched...) // callback_received_at and the wakes' next_check_at
	return out, nil
}

// InboxMatch is what a drain needs to know of one inbox entry before it
// records it: the checkout it names (Found, its id and state, as
// MatchNotification), and whether it was Recorded already (a
// notification holds its inbox key).
type InboxMatch struct {
	CheckoutID string
	State      State
	Found      bool
	Recorded   bool
}

// inboxBatchTx is a Tx that drains in batches: it reads what every entry
// of a batch needs (MatchInbox) in one round trip, and stores a callback
// without reading anything back (InsertNotificationLater), so that the
// rest of a drain (callbacks, events, marks, wakes, the delete) goes to
// the database in one more: PostgreSQL's, where each statement read is a
// round trip. The matches stay true for the whole batch: the identities
// are locked first, and recording a callback changes no checkout's
// identities.
type inboxBatchTx interface {
	// MatchInbox returns entries' matches, in order.
	MatchInbox(ctx context.Context, entries []InboxEntry) ([]InboxMatch, error)
	// InsertNotificationLater stores n as InsertNotification does (a
	// duplicate inbox key is skipped), with the next statement read.
	InsertNotificationLater(ctx context.Context, n Notification, checkoutID string, at time.Time)
}

// lockInboxIdentities locks every identity the entries name (lockAll).
func lockInboxIdentities(ctx context.Context, tx Tx, entries []InboxEntry) error {
	var ids []identity
	for _, e := range entries {
		ids = append(ids, identity{e.MerchantID, e.Provider, e.TransactionID}, identity{e.MerchantID, e.Provider, e.ProviderCheckoutID})
	}
	return lockAll(ctx, tx, ids)
}
