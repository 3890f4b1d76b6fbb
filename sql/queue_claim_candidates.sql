-- queue::claim: step 1 of 3 (inside one short transaction).
-- Lock up to ? claimable rows: pending (processed = 0) and available now, which covers
-- fresh rows, retries whose backoff has passed and rows whose lease expired (a lease
-- sets available_at to its expiry). Dead and delivered rows have available_at NULL.
-- Served by certyo_queue_claim (processed, available_at [, id]) for both the WHERE and
-- the ORDER BY, so it locks only the index records it returns. SKIP LOCKED passes over
-- rows another claimer holds instead of waiting for them. Kept deliberately simple: the
-- per-record ordering rule is a separate non-locking read (design.md).
-- Parameters: the claim size limit.
-- Returns: id, table_name, record_id, op_type, payload, created_at, attempts (a
-- QueueRow) per row locked, in available_at, id order.
SELECT id, CAST(table_name AS CHAR) AS table_name, CAST(record_id AS CHAR) AS record_id,
       CAST(op_type AS CHAR) AS op_type,
       CAST(payload AS CHAR) AS payload, created_at, attempts
FROM certyo_queue
WHERE processed = 0 AND available_at <= NOW(6)
ORDER BY available_at, id
LIMIT ?
FOR UPDATE SKIP LOCKED
