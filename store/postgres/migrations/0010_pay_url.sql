-- Starting payments (POST /v1/checkouts with "start": true): whether
-- paysync starts the checkout's payment at the provider, and the
-- provider's page where the buyer pays once it did (NULL until then, and
-- for checkouts only registered).
ALTER TABLE checkouts ADD COLUMN start_requested boolean NOT NULL DEFAULT false;
ALTER TABLE checkouts ADD COLUMN pay_url text;
