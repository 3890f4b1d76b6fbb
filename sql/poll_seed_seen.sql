-- capture::poll::seed_seen: when a table switches from triggers to polling, under its
-- table lock: record every row stamped at or after the new floor (?) as already
-- enqueued (the triggers did), so the poller's first window does not enqueue those
-- versions a second time. Index: the one led by the poll column (range from the floor).
-- Parameters: the new floor.
-- Placeholders: {table_name} the checked name as a string literal; {record_id},
-- {column}, {digest}, {table} as in poll_read_window.sql.
INSERT INTO certyo_capture_poll_seen (table_name, record_id, stamp, digest)
SELECT '{table_name}', CAST({record_id} AS CHAR), CAST({column} AS DATETIME(6)),
       SHA2(CAST({digest} AS CHAR), 256)
FROM {table}
WHERE {column} >= ?
ON DUPLICATE KEY UPDATE stamp = VALUES(stamp), digest = VALUES(digest)
