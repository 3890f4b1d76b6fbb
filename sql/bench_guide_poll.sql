-- bench::guide::drain: (guide baseline) the guide's queue_poller.py `poll_queue()`
-- SELECT, verbatim but for the table name (and the CASTs sqlx needs to read JSON/ENUM
-- as text).
-- Parameters: BATCH_SIZE (100 in the guide).
-- Returns: id, table_name, record_id, op_type, payload, created_at, oldest first, at most
-- BATCH_SIZE.
SELECT id, CAST(table_name AS CHAR) AS table_name, CAST(record_id AS CHAR) AS record_id,
       CAST(op_type AS CHAR) AS op_type, CAST(payload AS CHAR) AS payload, created_at
FROM certyo_guide_queue
WHERE processed = FALSE
ORDER BY created_at
LIMIT ?
