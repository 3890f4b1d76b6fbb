-- One chunk of delivered queue rows past retention, oldest delivery first.
-- Index: certyo_queue_cleanup (processed, delivered_at); InnoDB appends the primary key,
-- so the ORDER BY is served by the index too. Undelivered rows (processed = 0) are
-- outside the scanned range. Locks: nothing (plain consistent read).
-- Parameters: retention in microseconds, chunk size.
SELECT id FROM certyo_queue
WHERE processed = 1
  AND delivered_at < CURRENT_TIMESTAMP(6) - INTERVAL ? MICROSECOND
ORDER BY delivered_at, id
LIMIT ?
