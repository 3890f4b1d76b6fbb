-- binlog capture: `migrate`: the reader's first checkpoint (the server's position now:
-- file ?, position ?, GTID position ? or NULL), unless it has one already.
-- Index: PRIMARY. Locks: that row.
INSERT IGNORE INTO certyo_capture_binlog (reader, binlog_file, binlog_pos, binlog_gtid)
VALUES (?, ?, ?, ?)
