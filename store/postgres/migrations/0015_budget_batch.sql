-- Budgets taken for a whole claim batch at once (TakeTokens): one UPDATE
-- both takes and tells. taken is how many tokens the row's last take
-- gave; slot_at (ms) the latest moment handed to a check left without a
-- token, so that the next batch refused queues its checks after it, one
-- per token, instead of every batch's on the same moments.
ALTER TABLE budgets ADD COLUMN taken INTEGER NOT NULL DEFAULT 0;
ALTER TABLE budgets ADD COLUMN slot_at BIGINT NOT NULL DEFAULT 0;

-- budget_take is one take of n from a bucket (tokens at updated_at,
-- refilled at rate a second up to burst) at now: the tokens left, how
-- many were taken (whole ones, the earliest asked first), the row's new
-- time (never back), and the last of the moments handed, one token
-- apart, to the n - taken left without one (after slot_at, and not
-- before the first token exists).
CREATE FUNCTION budget_take(tokens float8, updated_at bigint, slot_at bigint, burst float8, now bigint, rate float8, n int,
    OUT tokens_left float8, OUT taken int, OUT updated bigint, OUT last_slot bigint)
LANGUAGE sql IMMUTABLE AS $$
    SELECT a - t, t, GREATEST(updated_at, now),
        CASE WHEN n > t THEN GREATEST(slot_at + step, now + ceil((1 - (a - t)) * 1000 / rate)::bigint) + (n - t - 1) * step
        ELSE slot_at END
    FROM (SELECT a, LEAST(n, GREATEST(floor(a), 0))::int AS t, GREATEST(ceil(1000 / rate), 1)::bigint AS step
          FROM (SELECT LEAST(burst, tokens + GREATEST(now - updated_at, 0) / 1000.0 * rate) AS a) x) y
$$;
