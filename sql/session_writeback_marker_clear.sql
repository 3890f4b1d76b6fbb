-- writeback: clear the capture marker before commit, so it never outlives the
-- write-back on a pooled connection. Also run by tasks::verify and ops::audit (`audit
-- --mark`) around their own writes.
-- Parameters: none
SET @certyo_queue_writeback = NULL
