-- Outbox of merchant webhooks (docs/architecture.md, "Webhooks"). A delivery row is written in the
-- same transaction as the checkout change it announces; one per (checkout,
-- version, type), so duplicate callbacks or polls can't announce a change twice.
-- Times are Unix milliseconds (UTC).
CREATE TABLE deliveries (
    id              TEXT PRIMARY KEY,              -- msg_<uuid>: the webhook-id of every attempt
    merchant_id     TEXT NOT NULL REFERENCES merchants(id),
    checkout_id     TEXT NOT NULL REFERENCES checkouts(id),
    version         INTEGER NOT NULL,              -- the checkout's version it announces
    type            TEXT NOT NULL,                 -- checkout.succeeded …
    snapshot        BLOB NOT NULL,                 -- the checkout at that version (store JSON)
    body            BLOB,                          -- the signed body, frozen at the first attempt
    status          TEXT NOT NULL,                 -- pending, delivered, failed, disabled
    attempts        INTEGER NOT NULL DEFAULT 0,    -- attempts in the current schedule (reset by redeliver)
    next_attempt_at INTEGER,                       -- NULL once delivered, failed or disabled
    lease_until     INTEGER,
    claim_seq       INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    UNIQUE (checkout_id, version, type)
);
CREATE INDEX deliveries_due ON deliveries(next_attempt_at) WHERE next_attempt_at IS NOT NULL;
CREATE INDEX deliveries_checkout ON deliveries(merchant_id, checkout_id, created_at DESC);

-- Every attempt to deliver, kept for the deliveries API.
CREATE TABLE delivery_attempts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id TEXT NOT NULL REFERENCES deliveries(id),
    at          INTEGER NOT NULL,
    url         TEXT NOT NULL,
    status_code INTEGER NOT NULL DEFAULT 0,        -- 0: no HTTP answer (see error)
    error       TEXT NOT NULL DEFAULT '',          -- timeout, connection, address_refused, … ('' when answered)
    latency_ms  INTEGER NOT NULL,
    response    TEXT NOT NULL DEFAULT ''           -- first KiB of the response body
);
CREATE INDEX delivery_attempts_delivery ON delivery_attempts(delivery_id, id);

-- A 410 Gone from the endpoint disables it until an admin re-enables it.
ALTER TABLE merchants ADD COLUMN webhook_disabled_at INTEGER;
