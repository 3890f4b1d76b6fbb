-- poll: when a table switches from triggers to polling, under its table lock: record
-- every row stamped at or after the new floor (?) as already enqueued (the triggers
-- did), so the poller's first window does not enqueue those versions a second time.
-- {table_name} is the checked name as a string literal; expressions as in
-- poll_read_window.sql. Index: the one led by the poll column (range from the floor).
INSERT INTO certyo_capture_poll_seen (table_name, record_id, stamp, digest)
SELECT '{table_name}', CAST({record_id} AS CHAR), CAST({column} AS DATETIME(6)),
       SHA2(CAST({digest} AS CHAR), 256)
FROM {table}
WHERE {column} >= ?
ON DUPLICATE KEY UPDATE stamp = VALUES(stamp), digest = VALUES(digest)
