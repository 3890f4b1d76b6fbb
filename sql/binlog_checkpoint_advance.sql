-- capture::binlog::advance_checkpoint: in an enqueue transaction, after its rows: the
-- end of the last transaction read, the rows enqueued and the commit time of that
-- transaction, for one reader. Index: PRIMARY. Locks: that row (held).
-- Parameters: the binlog file, the position, the GTID position or NULL when not known,
-- the rows enqueued, the commit time in Unix seconds, the reader
UPDATE certyo_capture_binlog
SET binlog_file = ?, binlog_pos = ?, binlog_gtid = ?, rows_enqueued = rows_enqueued + ?,
    event_at = FROM_UNIXTIME(?), updated_at = NOW(6)
WHERE reader = ?
