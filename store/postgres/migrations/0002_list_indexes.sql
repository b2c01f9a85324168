-- Indexes for the list filters that had none (see listCheckoutsSQL and
-- deliveriesSQL; plans pinned by TestListQueriesUseTheirIndexes).
-- ?state=: the merchant's checkouts in one state, newest first, without a sort.
CREATE INDEX checkouts_merchant_state ON checkouts(merchant_id, state, created_at DESC, id DESC);
-- The merchant-wide deliveries list, newest first, without a sort.
CREATE INDEX deliveries_merchant_created ON deliveries(merchant_id, created_at DESC, seq DESC);
