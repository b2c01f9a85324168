-- Each merchant's unmatched callbacks, counted as they come and go (the
-- bound on them, store/unmatched.go): the totals were a walk of every
-- unmatched callback of the merchant on each new one, O(held). Triggers
-- keep the row exact in the transaction that inserts, attaches or deletes
-- a callback, whoever does it.
CREATE TABLE unmatched_totals (
    merchant_id TEXT PRIMARY KEY,
    count       INTEGER NOT NULL,
    bytes       INTEGER NOT NULL
);
INSERT INTO unmatched_totals (merchant_id, count, bytes)
    SELECT merchant_id, count(*), coalesce(sum(body_size), 0) FROM notifications
    WHERE checkout_id IS NULL GROUP BY merchant_id;
CREATE TRIGGER unmatched_totals_insert AFTER INSERT ON notifications WHEN NEW.checkout_id IS NULL
BEGIN
    INSERT INTO unmatched_totals (merchant_id, count, bytes) VALUES (NEW.merchant_id, 1, NEW.body_size)
        ON CONFLICT (merchant_id) DO UPDATE SET count = count + 1, bytes = bytes + excluded.bytes;
END;
CREATE TRIGGER unmatched_totals_attach AFTER UPDATE OF checkout_id ON notifications
    WHEN OLD.checkout_id IS NULL AND NEW.checkout_id IS NOT NULL
BEGIN
    UPDATE unmatched_totals SET count = count - 1, bytes = bytes - OLD.body_size WHERE merchant_id = OLD.merchant_id;
END;
CREATE TRIGGER unmatched_totals_detach AFTER UPDATE OF checkout_id ON notifications
    WHEN OLD.checkout_id IS NOT NULL AND NEW.checkout_id IS NULL
BEGIN
    INSERT INTO unmatched_totals (merchant_id, count, bytes) VALUES (NEW.merchant_id, 1, NEW.body_size)
        ON CONFLICT (merchant_id) DO UPDATE SET count = count + 1, bytes = bytes + excluded.bytes;
END;
CREATE TRIGGER unmatched_totals_delete AFTER DELETE ON notifications WHEN OLD.checkout_id IS NULL
BEGIN
    UPDATE unmatched_totals SET count = count - 1, bytes = bytes - OLD.body_size WHERE merchant_id = OLD.merchant_id;
END;
