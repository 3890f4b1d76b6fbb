-- capture::binlog::checkpoint: the reader's checkpoint. Index: PRIMARY. No locks (a
-- consistent read).
-- Parameters: the reader
-- Returns: binlog_file, binlog_pos, rows_enqueued, event_at, updated_at, binlog_gtid;
-- one row or none
SELECT CAST(binlog_file AS CHAR) AS binlog_file,
       CAST(binlog_pos AS UNSIGNED) AS binlog_pos,
       CAST(rows_enqueued AS UNSIGNED) AS rows_enqueued,
       event_at, updated_at,
       CAST(binlog_gtid AS CHAR) AS binlog_gtid
FROM certyo_capture_binlog
WHERE reader = ?
