-- Clear the trigger guard before the write-back commits, so the pooled connection never
-- carries it into other work.
-- Index: none. Locks: nothing.
SET @certyo_queue_writeback = NULL
