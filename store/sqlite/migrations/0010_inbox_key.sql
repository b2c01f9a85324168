-- The inbox (store/inbox.go) lives in a file of its own beside this one
-- (inbox.go in this package), so that acknowledging a callback commits
-- on its own writer, never behind a batch of status checks. Its entries
-- reach notifications here by their key, at most once: the drain commits
-- here, then deletes the entry there; a crash between the two hands the
-- entry over again, and its key skips it.
ALTER TABLE notifications ADD COLUMN inbox_key TEXT;
CREATE UNIQUE INDEX notifications_inbox_key ON notifications(inbox_key) WHERE inbox_key IS NOT NULL;
