-- bench::binlog::queued: (binlog phase) queue rows of one table (?). Index: none needed
-- on the scratch queue (a count of a few ten thousand rows). No locks (a consistent
-- read).
-- Parameters: the table name.
-- Returns: one row, one column: the count.
SELECT COUNT(*) FROM certyo_queue WHERE table_name = ?
