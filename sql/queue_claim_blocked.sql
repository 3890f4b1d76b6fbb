-- queue::claim: step 2 of 3: which of the locked candidates {ids} must wait because an
-- earlier event of the same record is still undelivered and not dead (in flight,
-- retrying, or not yet claimable). This is what keeps each record's events in queue-id
-- order with at most one in flight, across all workers and processes.
-- A plain SELECT: a consistent, non-locking read of the latest committed state (READ
-- COMMITTED), so it takes no locks and cannot deadlock with other claimers.
-- Served by certyo_queue_record_order (table_name, record_id, processed, id).
-- Parameters: the queue ids ({ids}) of the earliest candidate of each record (a later
-- candidate of a record waits for its earlier one: queue::claim decides that itself).
-- Placeholders: {ids} one bind marker per such candidate.
-- Returns: id, one row per candidate that must wait.
SELECT q.id
FROM certyo_queue q
WHERE q.id IN ({ids})
  AND EXISTS (
    SELECT 1 FROM certyo_queue e
    WHERE e.table_name = q.table_name
      AND e.record_id = q.record_id
      AND e.processed = 0
      AND e.id < q.id
      AND e.dead_at IS NULL
  )
