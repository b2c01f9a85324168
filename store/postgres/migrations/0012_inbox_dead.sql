-- Inbox entries the database refused to record (store/inbox_dead.go): the
-- drain moves an entry that fails alone here, in one transaction with its
-- delete from the inbox, so that no entry can stop the drain of those after
-- it. Nothing acknowledged is dropped: the row keeps the raw callback and
-- why it was refused, for an operator (the console's overview, the metric
-- paysync_inbox_dead_total).
CREATE TABLE inbox_dead (
    id                   BIGINT PRIMARY KEY,
    key                  TEXT NOT NULL,
    merchant_id          TEXT NOT NULL,
    provider             TEXT NOT NULL,
    transaction_id       TEXT NOT NULL,
    provider_checkout_id TEXT NOT NULL,
    status               TEXT NOT NULL,
    content_type         TEXT NOT NULL,
    query                TEXT NOT NULL,
    body                 BYTEA NOT NULL,
    received_at          BIGINT NOT NULL,
    dead_at              BIGINT NOT NULL,
    reason               TEXT NOT NULL
);
CREATE INDEX inbox_dead_merchant ON inbox_dead(merchant_id, id);
