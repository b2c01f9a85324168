-- The inbox (store/inbox.go): callbacks acknowledged and not yet
-- processed, in the database, as on PostgreSQL. The request path appends
-- here in the writer's acknowledgement lane (writer.go); the drain takes
-- entries, stores each in notifications, logs it, wakes its checkout and
-- deletes it here, in one transaction. Rows live for milliseconds, or until
-- the next start after a crash. (Until this migration the inbox was a file
-- of its own beside the database; Open moves what such a file still holds
-- into this table, inbox_legacy.go.) An entry reaches notifications at most
-- once by its key (notifications.inbox_key, 0010_inbox_key.sql): an entry
-- moved from an old file may have been recorded already.
CREATE TABLE inbox (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    key                  TEXT NOT NULL,
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
