-- capture::poll::checkpoints: every polled table's checkpoint, for `status`. Reads
-- certyo_capture_poll (one row per polled table) without locks.
-- Parameters: none
-- Returns: table_name, floor_stamp, high_stamp, rows_enqueued, polled_at, one row per
-- polled table, by table_name.
SELECT CAST(table_name AS CHAR) AS table_name, floor_stamp, high_stamp,
       CAST(rows_enqueued AS SIGNED) AS rows_enqueued, polled_at
FROM certyo_capture_poll
ORDER BY table_name
