-- The console overview at size (issue 21): its counts by state walk an
-- index of the states (index-only) instead of the table, and its
-- settled-by share a range of the recently resolved checkouts only, for
-- the operator and for one merchant. Both partial indexes hold settled
-- checkouts only, which are rarely written again.
CREATE INDEX checkouts_state ON checkouts(state);
CREATE INDEX checkouts_resolved ON checkouts(updated_at) INCLUDE (provider, resolved_by) WHERE resolved_by <> '';
CREATE INDEX checkouts_merchant_resolved ON checkouts(merchant_id, updated_at) INCLUDE (provider, resolved_by) WHERE resolved_by <> '';

-- checkouts is a queue as much as a table: every check rewrites a row.
-- Room on each page lets an update that changes no indexed column (a
-- callback's mark, a revision) stay on its page without new index
-- entries (HOT).
ALTER TABLE checkouts SET (fillfactor = 80);
