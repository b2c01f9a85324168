-- The operator console (store/console.go): searches across every
-- merchant, newest first, by an exact reference or provider_ref, and the
-- failed and held deliveries.
CREATE INDEX checkouts_created ON checkouts(created_at DESC, id DESC);
CREATE INDEX checkouts_reference_any ON checkouts(reference) WHERE reference IS NOT NULL;
CREATE INDEX checkouts_provider_ref_any ON checkouts(provider_ref) WHERE provider_ref IS NOT NULL;
CREATE INDEX deliveries_status ON deliveries(status, updated_at);
