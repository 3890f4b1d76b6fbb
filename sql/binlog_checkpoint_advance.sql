-- binlog capture: in an enqueue transaction, after its rows: the end of the last
-- transaction read (file ?, position ?, GTID position ? or NULL when not known), ? more
-- rows enqueued, the commit time of that transaction (Unix seconds ?), for reader ?.
-- Index: PRIMARY. Locks: that row (held).
UPDATE certyo_capture_binlog
SET binlog_file = ?, binlog_pos = ?, binlog_gtid = ?, rows_enqueued = rows_enqueued + ?,
    event_at = FROM_UNIXTIME(?), updated_at = NOW(6)
WHERE reader = ?
