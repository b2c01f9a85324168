-- Indexes for the list filters that had none (see listCheckoutsSQL and
-- deliveriesSQL; plans pinned by TestListQueriesUseTheirIndexes).
-- ?state=: the merchant's checkouts in one state, newest first, without a sort.
CREATE INDEX checkouts_merchant_state ON checkouts(merchant_id, state, created_at DESC, id DESC);
-- The merchant-wide deliveries list, newest first: walked backwards, the
-- index gives created_at DESC then rowid DESC, so no temporary B-tree.
CREATE INDEX deliveries_merchant_created ON deliveries(merchant_id, created_at);
-- One checkout's deliveries, newest first, likewise: the same index with
-- created_at ascending, walked backwards (it was DESC, which with the
-- rowid ascending at its end could not give rowid DESC without a sort).
DROP INDEX deliveries_checkout;
CREATE INDEX deliveries_checkout ON deliveries(merchant_id, checkout_id, created_at);
