-- queue::chain: the earliest unfinished (not delivered, not dead) event of each record
-- {ids} (? per record_id) of table ?, right after this transaction marked those
-- records' previous events delivered, and whether it may be leased now: due (a fresh
-- row, or an expired lease), or parked by a claim (never attempted, no lease). A row
-- waiting out a retry backoff (attempts > 0, not due) is not ready. The worker leases
-- ready heads at once, so a hot record's next event goes out as soon as the previous
-- one is settled instead of waiting for a claim to find it.
-- A plain SELECT: consistent, non-locking (READ COMMITTED; it sees this transaction's
-- own completions). Served by certyo_queue_record_order (table_name, record_id,
-- processed, id) for the MIN, then one primary-key lookup per record.
-- Binds: table_name, then the record ids.
SELECT h.id, h.record_id,
       CAST(q.available_at <= NOW(6) OR (q.lease_owner IS NULL AND q.attempts = 0) AS SIGNED) AS ready
FROM (
  SELECT MIN(id) AS id, CAST(record_id AS CHAR) AS record_id
  FROM certyo_queue
  WHERE table_name = ? AND record_id IN ({ids}) AND processed = 0 AND dead_at IS NULL
  GROUP BY record_id
) h
JOIN certyo_queue q ON q.id = h.id
