-- The data lifecycle (README, "Data lifecycle").
-- settled_at: when the checkout reached its terminal state; the retention
-- clock starts there. Existing terminal rows take updated_at, which is no
-- earlier than the settlement, so nothing is purged before its time.
ALTER TABLE checkouts ADD COLUMN settled_at INTEGER;
UPDATE checkouts SET settled_at = updated_at WHERE state IN ('succeeded','failed','cancelled');
-- history_purged_at: when the sweep deleted the checkout's events, raw
-- callbacks and delivery attempts (the checkout and its verdict stay).
ALTER TABLE checkouts ADD COLUMN history_purged_at INTEGER;
CREATE INDEX checkouts_settled ON checkouts(settled_at) WHERE settled_at IS NOT NULL AND history_purged_at IS NULL;
-- Repeated identical status checks fold into one event: how many, and the last.
ALTER TABLE events ADD COLUMN count INTEGER NOT NULL DEFAULT 1;
ALTER TABLE events ADD COLUMN last_at INTEGER;
CREATE INDEX notifications_unmatched_age ON notifications(received_at) WHERE checkout_id IS NULL;
-- auto_vacuum=incremental can't be switched on inside a transaction (it
-- needs a VACUUM of the whole file): store/sqlite does it once at open
-- (see autoVacuum), and runs PRAGMA incremental_vacuum after each sweep.
