-- When a claimed check was due, written by the claim's own UPDATE (SET sees
-- the old next_check_at), so the claim needs no separate read of due times.
ALTER TABLE checkouts ADD COLUMN claimed_due_at INTEGER;
