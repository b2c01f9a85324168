-- Liveness of the instances sharing the database (issue 21): each live
-- instance has a row here while it holds a session advisory lock on its
-- own connection (lock_key); PostgreSQL releases that lock the moment the
-- connection dies, and the others then hand its claims back. The table
-- is UNLOGGED: after a crash of the server every instance registers again.
CREATE UNLOGGED TABLE instances (
    id           TEXT PRIMARY KEY,
    lock_key     BIGINT NOT NULL,
    started_at   TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    heartbeat_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()
);
-- Claims carry the instance that made them, and when.
ALTER TABLE checkouts ADD COLUMN claimed_by TEXT;
ALTER TABLE checkouts ADD COLUMN claimed_at BIGINT;
ALTER TABLE deliveries ADD COLUMN claimed_by TEXT;
ALTER TABLE deliveries ADD COLUMN claimed_at BIGINT;
-- The claims held (few: the work in flight), by instance.
CREATE INDEX checkouts_claimed ON checkouts(claimed_by) WHERE lease_until IS NOT NULL;
CREATE INDEX deliveries_claimed ON deliveries(claimed_by) WHERE lease_until IS NOT NULL;
