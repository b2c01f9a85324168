-- The inbox (store/inbox.go): callbacks acknowledged and not yet
-- processed. The request path appends here, one insert committed on its
-- own; any instance's drain takes rows FOR UPDATE SKIP LOCKED, stores each
-- in notifications, logs it, wakes its checkout and deletes it here, in
-- one transaction. Rows live for milliseconds, or until an instance is
-- back after a crash.
CREATE TABLE inbox (
    id                   BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key                  TEXT NOT NULL,
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
-- An entry reaches notifications at most once, by its key (the same
-- rule as SQLite's, whose inbox is a file apart; here the delete commits
-- with the drain, so the key never has to skip one).
ALTER TABLE notifications ADD COLUMN inbox_key TEXT;
CREATE UNIQUE INDEX notifications_inbox_key ON notifications(inbox_key) WHERE inbox_key IS NOT NULL;
