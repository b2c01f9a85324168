-- paysync on PostgreSQL: the schema of store/sqlite's migrations 0001–0004
-- in one step. Times are Unix milliseconds (UTC), as on SQLite.
CREATE TABLE merchants (
    id                  TEXT PRIMARY KEY,
    name                TEXT NOT NULL,
    api_key_hash        BYTEA NOT NULL UNIQUE,
    hook_token          TEXT NOT NULL UNIQUE,
    webhook_url         TEXT NOT NULL DEFAULT '',
    return_hosts        TEXT NOT NULL DEFAULT '[]',
    payunit_base_url    TEXT NOT NULL DEFAULT '',
    payunit_mode        TEXT NOT NULL DEFAULT '',
    azotte_base_url     TEXT NOT NULL DEFAULT '',
    secrets             BYTEA NOT NULL,
    created_at          BIGINT NOT NULL,
    webhook_disabled_at BIGINT
);

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
    callback_received_at BIGINT,
    last_checked_at      BIGINT,
    next_check_at        BIGINT,
    lease_until          BIGINT,
    claimed_due_at       BIGINT,
    attempts             INTEGER NOT NULL DEFAULT 0,
    wake_reason          TEXT NOT NULL DEFAULT '',
    wake_seq             BIGINT NOT NULL DEFAULT 0,
    claim_seq            BIGINT NOT NULL DEFAULT 0,
    created_at           BIGINT NOT NULL,
    updated_at           BIGINT NOT NULL,
    version              BIGINT NOT NULL
);
CREATE UNIQUE INDEX checkouts_reference ON checkouts(merchant_id, provider, reference) WHERE reference IS NOT NULL;
CREATE UNIQUE INDEX checkouts_provider_ref ON checkouts(merchant_id, provider, provider_ref) WHERE provider_ref IS NOT NULL;
CREATE UNIQUE INDEX checkouts_idempotency ON checkouts(merchant_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX checkouts_due ON checkouts(next_check_at) WHERE next_check_at IS NOT NULL;
CREATE INDEX checkouts_merchant_created ON checkouts(merchant_id, created_at DESC, id DESC);

CREATE TABLE events (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    checkout_id     TEXT NOT NULL REFERENCES checkouts(id),
    at              BIGINT NOT NULL,
    source          TEXT NOT NULL,
    type            TEXT NOT NULL,
    provider_status TEXT NOT NULL DEFAULT '',
    from_state      TEXT NOT NULL DEFAULT '',
    to_state        TEXT NOT NULL DEFAULT '',
    detail          TEXT NOT NULL DEFAULT ''
);
CREATE INDEX events_checkout ON events(checkout_id, id);

CREATE TABLE notifications (
    id                   BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    merchant_id          TEXT NOT NULL REFERENCES merchants(id),
    provider             TEXT NOT NULL,
    checkout_id          TEXT REFERENCES checkouts(id),
    transaction_id       TEXT NOT NULL DEFAULT '',
    provider_checkout_id TEXT NOT NULL DEFAULT '',
    status               TEXT NOT NULL DEFAULT '',
    content_type         TEXT NOT NULL DEFAULT '',
    query                TEXT NOT NULL DEFAULT '',
    body                 BYTEA NOT NULL,
    received_at          BIGINT NOT NULL
);
CREATE INDEX notifications_unmatched_txn ON notifications(merchant_id, provider, transaction_id) WHERE checkout_id IS NULL;
CREATE INDEX notifications_unmatched_ref ON notifications(merchant_id, provider, provider_checkout_id) WHERE checkout_id IS NULL;
CREATE INDEX notifications_checkout ON notifications(checkout_id);

-- The outbox of merchant webhooks: one row per (checkout, version, type),
-- written in the transaction of the change it announces.
CREATE TABLE deliveries (
    seq             BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE, -- insertion order, for listing
    id              TEXT PRIMARY KEY,
    merchant_id     TEXT NOT NULL REFERENCES merchants(id),
    checkout_id     TEXT NOT NULL REFERENCES checkouts(id),
    version         BIGINT NOT NULL,
    type            TEXT NOT NULL,
    snapshot        BYTEA NOT NULL,
    body            BYTEA,
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT,
    lease_until     BIGINT,
    claim_seq       BIGINT NOT NULL DEFAULT 0,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    UNIQUE (checkout_id, version, type)
);
CREATE INDEX deliveries_due ON deliveries(next_attempt_at) WHERE next_attempt_at IS NOT NULL;
CREATE INDEX deliveries_checkout ON deliveries(merchant_id, checkout_id, created_at DESC);

CREATE TABLE delivery_attempts (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    delivery_id TEXT NOT NULL REFERENCES deliveries(id),
    at          BIGINT NOT NULL,
    url         TEXT NOT NULL,
    status_code INTEGER NOT NULL DEFAULT 0,
    error       TEXT NOT NULL DEFAULT '',
    latency_ms  BIGINT NOT NULL,
    response    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX delivery_attempts_delivery ON delivery_attempts(delivery_id, id);

-- Provider budgets shared by every instance: a token bucket per key
-- (merchant and provider), refilled by elapsed time at each take.
CREATE TABLE budgets (
    key        TEXT PRIMARY KEY,
    tokens     DOUBLE PRECISION NOT NULL,
    updated_at BIGINT NOT NULL
);
