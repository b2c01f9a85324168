-- Merchants: API keys stored as SHA-256 hashes; credentials and webhook secret sealed with AES-GCM.
CREATE TABLE merchants (
    id               TEXT PRIMARY KEY,
    name             TEXT NOT NULL,
    api_key_hash     BLOB NOT NULL UNIQUE,
    hook_token       TEXT NOT NULL UNIQUE,
    webhook_url      TEXT NOT NULL DEFAULT '',
    return_hosts     TEXT NOT NULL DEFAULT '[]',
    payunit_base_url TEXT NOT NULL DEFAULT '',
    payunit_mode     TEXT NOT NULL DEFAULT '',
    azotte_base_url  TEXT NOT NULL DEFAULT '',
    secrets          BLOB NOT NULL,
    created_at       INTEGER NOT NULL
);

-- Checkouts: registration, verified state and the check schedule.
-- Times are Unix milliseconds (UTC).
CREATE TABLE checkouts (
    id                   TEXT PRIMARY KEY,
    merchant_id          TEXT NOT NULL REFERENCES merchants(id),
    provider             TEXT NOT NULL,
    reference            TEXT,
    provider_ref         TEXT,
    amount               TEXT NOT NULL,
    currency             TEXT NOT NULL,
    success_url          TEXT NOT NULL DEFAULT '',
    cancel_url           TEXT NOT NULL DEFAULT '',
    token                TEXT NOT NULL UNIQUE,
    idempotency_key      TEXT,
    state                TEXT NOT NULL,
    provider_status      TEXT NOT NULL DEFAULT '',
    action               TEXT,
    anomaly_code         TEXT NOT NULL DEFAULT '',
    anomaly_detail       TEXT NOT NULL DEFAULT '',
    resolved_by          TEXT NOT NULL DEFAULT '',
    callback_received_at INTEGER,
    last_checked_at      INTEGER,
    next_check_at        INTEGER,
    lease_until          INTEGER,
    attempts             INTEGER NOT NULL DEFAULT 0,
    wake_reason          TEXT NOT NULL DEFAULT '',
    wake_seq             INTEGER NOT NULL DEFAULT 0,
    claim_seq            INTEGER NOT NULL DEFAULT 0,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL,
    version              INTEGER NOT NULL
);
CREATE UNIQUE INDEX checkouts_reference ON checkouts(merchant_id, provider, reference) WHERE reference IS NOT NULL;
CREATE UNIQUE INDEX checkouts_provider_ref ON checkouts(merchant_id, provider, provider_ref) WHERE provider_ref IS NOT NULL;
CREATE UNIQUE INDEX checkouts_idempotency ON checkouts(merchant_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX checkouts_due ON checkouts(next_check_at) WHERE next_check_at IS NOT NULL;
CREATE INDEX checkouts_merchant_created ON checkouts(merchant_id, created_at DESC, id DESC);

-- Events: append-only log of what paysync saw about a checkout.
CREATE TABLE events (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    checkout_id     TEXT NOT NULL REFERENCES checkouts(id),
    at              INTEGER NOT NULL,
    source          TEXT NOT NULL,
    type            TEXT NOT NULL,
    provider_status TEXT NOT NULL DEFAULT '',
    from_state      TEXT NOT NULL DEFAULT '',
    to_state        TEXT NOT NULL DEFAULT '',
    detail          TEXT NOT NULL DEFAULT ''
);
CREATE INDEX events_checkout ON events(checkout_id, id);

-- Notifications: raw provider callbacks, kept whether or not their checkout is known yet.
CREATE TABLE notifications (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    merchant_id          TEXT NOT NULL REFERENCES merchants(id),
    provider             TEXT NOT NULL,
    checkout_id          TEXT REFERENCES checkouts(id),
    transaction_id       TEXT NOT NULL DEFAULT '',
    provider_checkout_id TEXT NOT NULL DEFAULT '',
    status               TEXT NOT NULL DEFAULT '',
    content_type         TEXT NOT NULL DEFAULT '',
    query                TEXT NOT NULL DEFAULT '',
    body                 BLOB NOT NULL,
    received_at          INTEGER NOT NULL
);
CREATE INDEX notifications_unmatched_txn ON notifications(merchant_id, provider, transaction_id) WHERE checkout_id IS NULL;
CREATE INDEX notifications_unmatched_ref ON notifications(merchant_id, provider, provider_checkout_id) WHERE checkout_id IS NULL;
CREATE INDEX notifications_checkout ON notifications(checkout_id);
