-- capture::poll::poll_page: the checkpoint of table ?, locked until the page's
-- transaction ends, so two pollers (a leader that lost its lock mid-round and its
-- successor) take turns page by page and the second sees what the first enqueued.
-- Index: PRIMARY. Locks: that row.
-- Parameters: the table name.
-- Returns: floor_stamp, high_stamp; one row, or none when the table is not polled.
SELECT floor_stamp, high_stamp
FROM certyo_capture_poll
WHERE table_name = ?
FOR UPDATE
