-- writeback: set the session marker the capture triggers check, so the worker's own
-- write-back enqueues nothing. Set only inside the write-back transaction. Also run by
-- tasks::verify and ops::audit (`audit --mark`) around their own writes.
-- Parameters: none
SET @certyo_queue_writeback = 1
