-- queue::dead_letters::list: the newest ? dead letters, newest first (`dead list`).
-- Index: certyo_queue_claim (processed, available_at), range processed = 0 AND
-- available_at IS NULL: a dead letter is the only such row (queue_bury.sql); the dead
-- rows are then sorted. Locks: nothing.
-- Parameters: the limit (--limit).
-- Returns: id, table_name, record_id, op_type, attempts, dead_at, last_error, newest
-- dead_at first, at most the limit.
SELECT id, CAST(table_name AS CHAR) AS table_name, CAST(record_id AS CHAR) AS record_id,
       CAST(op_type AS CHAR) AS op_type, attempts, dead_at,
       CAST(last_error AS CHAR) AS last_error
FROM certyo_queue
WHERE processed = 0 AND available_at IS NULL AND dead_at IS NOT NULL
ORDER BY dead_at DESC, id DESC
LIMIT ?
