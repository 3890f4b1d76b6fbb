-- Trigger guard for the verifier's write-back: the capture triggers skip changes made
-- while it is set. Set inside the write-back transaction, cleared before its commit.
-- Index: none. Locks: nothing.
SET @certyo_queue_writeback = 1
