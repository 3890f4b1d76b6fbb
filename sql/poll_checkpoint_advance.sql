-- capture::poll::poll_page: in a page's transaction, after its rows are enqueued: the
-- newest stamp passed (?), ? more rows enqueued, for table ?. Index: PRIMARY. Locks:
-- that row (held).
-- Parameters: the new high stamp (NULL while nothing was read), the rows enqueued by
-- this page, the table name.
UPDATE certyo_capture_poll
SET high_stamp = ?, rows_enqueued = rows_enqueued + ?, polled_at = NOW(6)
WHERE table_name = ?
