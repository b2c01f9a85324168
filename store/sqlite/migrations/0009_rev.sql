-- The row's revision (store.Checkout.Rev): every write of a checkout
-- bumps it, including those that rewrite shown fields without a new
-- version (wake, callback_received_at, claim, history purge), so that a
-- cache of the API's checkout object can tell it is current.
ALTER TABLE checkouts ADD COLUMN rev INTEGER NOT NULL DEFAULT 0;
