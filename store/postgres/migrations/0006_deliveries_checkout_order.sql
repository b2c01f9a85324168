-- One checkout's deliveries, newest first, read in index order without a
-- sort (the list's ORDER BY created_at DESC, seq DESC).
DROP INDEX IF EXISTS deliveries_checkout;
CREATE INDEX deliveries_checkout ON deliveries(merchant_id, checkout_id, created_at DESC, seq DESC);
