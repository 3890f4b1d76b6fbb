-- ops::status::queue_counts: the age in microseconds of queue row ? (the oldest
-- undelivered one). queue::backlog runs it too.
-- Index: PRIMARY. Locks: nothing.
-- Parameters: the queue id (oldest_id of status_queue_counts.sql).
-- Returns: one row, one column: the age in microseconds; none when the row is gone.
SELECT TIMESTAMPDIFF(MICROSECOND, created_at, NOW(6)) FROM certyo_queue WHERE id = ?
