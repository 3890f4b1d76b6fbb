-- capture::binlog::checkpoint_start: `migrate`: the reader's first checkpoint (the
-- server's position now), unless it has one already. Index: PRIMARY. Locks: that row.
-- Parameters: the reader, the binlog file, the position, the GTID position or NULL
INSERT IGNORE INTO certyo_capture_binlog (reader, binlog_file, binlog_pos, binlog_gtid)
VALUES (?, ?, ?, ?)
