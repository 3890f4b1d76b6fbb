-- capture::binlog::lock_checkpoint: in an enqueue transaction, before its rows: lock
-- the reader's checkpoint and read it (a second reader, e.g. a leader that lost its
-- lock, waits here and then sees the checkpoint moved). Index: PRIMARY. Locks: that row
-- until commit.
-- Parameters: the reader
-- Returns: binlog_file, binlog_pos, binlog_gtid; one row or none
SELECT CAST(binlog_file AS CHAR) AS binlog_file,
       CAST(binlog_pos AS UNSIGNED) AS binlog_pos,
       CAST(binlog_gtid AS CHAR) AS binlog_gtid
FROM certyo_capture_binlog
WHERE reader = ?
FOR UPDATE
