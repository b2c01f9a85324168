-- The inbox (store/inbox.go): callbacks acknowledged and not yet
-- processed. The request path appends here, one insert; the drain stores
-- each in notifications, logs it, wakes its checkout and deletes it here,
-- in one transaction. Rows live for milliseconds, or until the next start
-- after a crash.
CREATE TABLE inbox (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    merchant_id          TEXT NOT NULL,
    provider             TEXT NOT NULL,
    transaction_id       TEXT NOT NULL,
    provider_checkout_id TEXT NOT NULL,
    status               TEXT NOT NULL,
    content_type         TEXT NOT NULL,
    query                TEXT NOT NULL,
    body                 BLOB NOT NULL,
    received_at          INTEGER NOT NULL
);
