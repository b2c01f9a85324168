-- Console sessions signed out (store/sessions.go): the session cookie is
-- signed and carries its id; sign-out records the id here until the
-- session would have expired, and every request checks it, so a copy of
-- the cookie stops working everywhere at once.
CREATE TABLE console_revoked (
    id    TEXT PRIMARY KEY,
    until BIGINT NOT NULL
);
CREATE INDEX console_revoked_until ON console_revoked(until);
