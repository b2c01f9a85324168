-- Bounds on the raw callbacks kept per checkout (store/callback_bounds.go):
-- a callback identical to one the checkout keeps (same digest of content
-- type, query and body) folds into it (repeats, last_received_at); beyond
-- the checkout's bounds (count, bytes) callbacks fold into one row without
-- a body (digest 'overflow').
ALTER TABLE notifications ADD COLUMN digest TEXT;
ALTER TABLE notifications ADD COLUMN repeats INTEGER NOT NULL DEFAULT 1;
ALTER TABLE notifications ADD COLUMN last_received_at BIGINT;
CREATE INDEX notifications_checkout_digest ON notifications(checkout_id, digest) WHERE digest IS NOT NULL;
