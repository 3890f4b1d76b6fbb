-- writeback::claim_due: up to ? kept write-backs whose next try is due, locked for this
-- try and skipped by any other process trying at the same time. Served by
-- certyo_writeback_due_claim (due_at). Locks the returned rows until the try commits.
-- Parameters: the batch size (DUE_BATCH).
-- Returns: queue_id, table_name, record_id, record_hash, attempts, soonest due first, at
-- most the batch size.
SELECT queue_id, CAST(table_name AS CHAR) AS table_name, CAST(record_id AS CHAR) AS record_id,
       CAST(record_hash AS CHAR) AS record_hash, attempts
FROM certyo_writeback_due
WHERE due_at <= NOW(6)
ORDER BY due_at
LIMIT ?
FOR UPDATE SKIP LOCKED
