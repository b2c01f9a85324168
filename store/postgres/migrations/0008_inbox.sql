-- The inbox (store/inbox.go): callbacks acknowledged and not yet
-- processed. The request path appends here, one insert committed on its
-- own; any instance's drain takes rows FOR UPDATE SKIP LOCKED, stores each
-- in notifications, logs it, wakes its checkout and deletes it here, in
-- one transaction. Rows live for milliseconds, or until an instance is
-- back after a crash.
CREATE TABLE inbox (
    id                   BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    merchant_id          TEXT NOT NULL,
    provider             TEXT NOT NULL,
    transaction_id       TEXT NOT NULL,
    provider_checkout_id TEXT NOT NULL,
    status               TEXT NOT NULL,
    content_type         TEXT NOT NULL,
    query                TEXT NOT NULL,
    body                 BYTEA NOT NULL,
    received_at          BIGINT NOT NULL
);
