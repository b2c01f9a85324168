-- A merchant's unmatched totals in several rows, summed on read: one row
-- made every early callback of a merchant wait for the previous one's
-- commit (the trigger of 0009 updated it in the inserting transaction),
-- 35-50 ms each under the bench's early load. Now each change goes to a
-- row of the merchant that no other transaction holds (FOR UPDATE SKIP
-- LOCKED), or to a new one when all are held (numbered by a sequence, so
-- that the insert waits for nobody): a merchant has at most as many rows
-- as it had transactions changing its totals at once. A row's
-- figures may go below zero (a callback counted in one row and attached
-- in another); the sum stays exact, changed in the transaction that
-- changes the callbacks, as before.
-- No callback may be stored while the table changes (an older instance
-- still running): the table is locked for the migration.
LOCK TABLE notifications IN SHARE ROW EXCLUSIVE MODE;
ALTER TABLE unmatched_totals ADD COLUMN shard BIGINT NOT NULL DEFAULT 0;
CREATE SEQUENCE unmatched_totals_shard;
ALTER TABLE unmatched_totals DROP CONSTRAINT unmatched_totals_pkey;
ALTER TABLE unmatched_totals ADD PRIMARY KEY (merchant_id, shard);
CREATE FUNCTION unmatched_totals_add(merchant TEXT, n BIGINT, size BIGINT) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    free BIGINT;
BEGIN
    SELECT shard INTO free FROM unmatched_totals WHERE merchant_id = merchant LIMIT 1 FOR UPDATE SKIP LOCKED;
    IF FOUND THEN
        UPDATE unmatched_totals SET count = count + n, bytes = bytes + size WHERE merchant_id = merchant AND shard = free;
    ELSE
        -- a number no row has: nothing to wait for
        INSERT INTO unmatched_totals (merchant_id, shard, count, bytes) VALUES (merchant, nextval('unmatched_totals_shard'), n, size);
    END IF;
END $$;
CREATE OR REPLACE FUNCTION unmatched_totals_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.checkout_id IS NULL THEN
        PERFORM unmatched_totals_add(OLD.merchant_id, -1, -OLD.body_size);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.checkout_id IS NULL THEN
        PERFORM unmatched_totals_add(NEW.merchant_id, 1, NEW.body_size);
    END IF;
    RETURN NULL;
END $$;
