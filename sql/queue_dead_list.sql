-- dead list: the newest ? dead letters, newest first.
-- Index: certyo_queue_dead (dead_at), read backwards from its end; InnoDB appends the
-- primary key, so ORDER BY dead_at DESC, id DESC needs no sort. Locks: nothing.
SELECT id, CAST(table_name AS CHAR) AS table_name, CAST(record_id AS CHAR) AS record_id,
       CAST(op_type AS CHAR) AS op_type, attempts, dead_at,
       CAST(last_error AS CHAR) AS last_error
FROM certyo_queue
WHERE dead_at IS NOT NULL
ORDER BY dead_at DESC, id DESC
LIMIT ?
