-- Each merchant's unmatched callbacks, counted as they come and go (the
-- bound on them, store/unmatched.go): the totals were a walk of every
-- unmatched callback of the merchant on each new one, O(held). A trigger
-- keeps the row exact in the transaction that inserts, attaches or
-- deletes a callback. The bound's read of it takes no lock, so the bound
-- stays soft across instances, as before.
-- No callback may be stored between the backfill and the trigger (an
-- older instance still running): the table is locked for both.
LOCK TABLE notifications IN SHARE ROW EXCLUSIVE MODE;
CREATE TABLE unmatched_totals (
    merchant_id TEXT PRIMARY KEY,
    count       BIGINT NOT NULL,
    bytes       BIGINT NOT NULL
);
INSERT INTO unmatched_totals (merchant_id, count, bytes)
    SELECT merchant_id, count(*), coalesce(sum(body_size), 0) FROM notifications
    WHERE checkout_id IS NULL GROUP BY merchant_id;
CREATE FUNCTION unmatched_totals_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.checkout_id IS NULL THEN
        UPDATE unmatched_totals SET count = count - 1, bytes = bytes - OLD.body_size WHERE merchant_id = OLD.merchant_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.checkout_id IS NULL THEN
        INSERT INTO unmatched_totals (merchant_id, count, bytes) VALUES (NEW.merchant_id, 1, NEW.body_size)
            ON CONFLICT (merchant_id) DO UPDATE SET count = unmatched_totals.count + 1,
                bytes = unmatched_totals.bytes + excluded.bytes;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER unmatched_totals_follow AFTER INSERT OR DELETE OR UPDATE OF checkout_id ON notifications
    FOR EACH ROW EXECUTE FUNCTION unmatched_totals_follow();
