-- What one merchant holds of callbacks that matched no checkout, counted
-- per merchant and by time (the bound on unmatched callbacks).
CREATE INDEX notifications_unmatched_merchant ON notifications(merchant_id, received_at) WHERE checkout_id IS NULL;

-- One row the readiness probe rewrites: /readyz is ready only when a
-- write commits.
CREATE TABLE readiness_probe (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    probed_at BIGINT NOT NULL
);
