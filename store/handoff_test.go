package store

import (
	"context"
	"testing"
	"time"
)

// shortcutsTx is a backend's Tx with every optional shortcut the store
// looks for (the methods are never called here).
type shortcutsTx struct{ Tx }

func (shortcutsTx) ProbeProviderRef(context.Context, Checkout, string) (bool, bool, error) {
	return false, false, nil
}
func (shortcutsTx) MarkAndWake(context.Context, string, time.Time, string, time.Time) error {
	return nil
}
func (shortcutsTx) UnmatchedCounts(context.Context, string, time.Time) (int, time.Time, int, int64, error) {
	return 0, time.Time{}, 0, 0, nil
}
func (shortcutsTx) MatchInbox(context.Context, []InboxEntry) ([]InboxMatch, error)           { return nil, nil }
func (shortcutsTx) InsertNotificationLater(context.Context, Notification, string, time.Time) {}

// Every write goes through the hand-off's wrapper when the app has wired
// the dispatcher (HandDeliveriesTo), and the wrapper itself implements
// none of a backend's shortcuts: the store finds each of them through it,
// or a backend's faster path would be silently off in production (it was,
// for the three shortcuts added beside the hand-off, until txAs).
func TestShortcutsSeenThroughTheHandoff(t *testing.T) {
	var handed []Delivery
	for name, tx := range map[string]Tx{"bare": shortcutsTx{}, "handing": wrapHanding(shortcutsTx{}, time.Minute, &handed)} {
		if _, ok := txAs[refProber](tx); !ok {
			t.Errorf("%s: refProber not found", name)
		}
		if _, ok := txAs[markWaker](tx); !ok {
			t.Errorf("%s: markWaker not found", name)
		}
		if _, ok := txAs[unmatchedCounter](tx); !ok {
			t.Errorf("%s: unmatchedCounter not found", name)
		}
		if _, ok := txAs[inboxBatchTx](tx); !ok {
			t.Errorf("%s: inboxBatchTx not found", name)
		}
	}
	if _, ok := wrapHanding(shortcutsTx{}, time.Minute, &handed).(markWaker); ok {
		t.Fatal("the wrapper implements markWaker itself: this test no longer tests the look-through")
	}
}
