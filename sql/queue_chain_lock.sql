-- queue::chain: lock the ready heads {ids} found by queue_chain_heads.sql, re-checking
-- by primary key that each is still unfinished and ready. SKIP LOCKED: a head another
-- session holds (a claim that has it as a candidate) is passed over, never waited for;
-- the worker tries it again right after its commit. Locks only the rows named.
-- Parameters: the queue ids ({ids}).
-- Placeholders: {ids} one bind marker per queue id.
-- Returns: id, table_name, record_id, op_type, payload, created_at, attempts (a
-- QueueRow) for each row locked, ordered by id.
SELECT id, CAST(table_name AS CHAR) AS table_name, CAST(record_id AS CHAR) AS record_id,
       CAST(op_type AS CHAR) AS op_type,
       CAST(payload AS CHAR) AS payload, created_at, attempts
FROM certyo_queue
WHERE id IN ({ids}) AND processed = 0 AND dead_at IS NULL
  AND (available_at <= NOW(6) OR (lease_owner IS NULL AND attempts = 0))
ORDER BY id
FOR UPDATE SKIP LOCKED
