-- The data lifecycle, as store/sqlite's migration 0007 (README, "Data lifecycle").
ALTER TABLE checkouts ADD COLUMN settled_at BIGINT;
UPDATE checkouts SET settled_at = updated_at WHERE state IN ('succeeded','failed','cancelled');
ALTER TABLE checkouts ADD COLUMN history_purged_at BIGINT;
CREATE INDEX checkouts_settled ON checkouts(settled_at) WHERE settled_at IS NOT NULL AND history_purged_at IS NULL;
ALTER TABLE events ADD COLUMN count INTEGER NOT NULL DEFAULT 1;
ALTER TABLE events ADD COLUMN last_at BIGINT;
CREATE INDEX notifications_unmatched_age ON notifications(received_at) WHERE checkout_id IS NULL;
-- Space comes back through PostgreSQL's autovacuum; nothing to switch on.
