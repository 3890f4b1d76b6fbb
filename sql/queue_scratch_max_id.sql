-- bench::binlog::latency: (binlog phase) the newest queue id, where the latency watcher
-- starts. Index: PRIMARY. No locks.
-- Parameters: none
-- Returns: one row, one column: the highest queue id, 0 when empty.
SELECT CAST(COALESCE(MAX(id), 0) AS SIGNED) FROM certyo_queue
