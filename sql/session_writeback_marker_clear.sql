-- writeback: clear the capture marker before commit, so it never outlives the
-- write-back on a pooled connection.
SET @certyo_queue_writeback = NULL
