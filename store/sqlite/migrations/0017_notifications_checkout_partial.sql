-- notifications_checkout indexes only the callbacks kept for a checkout:
-- every search of it names one (checkout_id = ?, IN (…)), which implies
-- IS NOT NULL, so the partial index serves them all; an early callback,
-- kept unmatched (checkout_id NULL, found through the notifications_unmatched_*
-- indexes), no longer adds an entry to it on its insert (about a tenth of
-- the insert's cost). Adoption (checkout_id set) adds the entry then.
DROP INDEX notifications_checkout;
CREATE INDEX notifications_checkout ON notifications(checkout_id) WHERE checkout_id IS NOT NULL;
