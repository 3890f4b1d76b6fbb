-- queue::cleanup::expired_ids: one chunk of rows delivered by a version before V11
-- (available_at NULL: normally none, but a worker of the older version may run on after
-- the upgrade until it is restarted) past retention, judged by delivered_at.
-- Index: certyo_queue_claim (processed, available_at), lookup processed = 1 AND
-- available_at IS NULL; delivered_at is read from each such row.
-- Locks: nothing (plain consistent read).
-- Parameters: retention in microseconds, chunk size.
-- Returns: id, in id order, at most the chunk size.
SELECT id FROM certyo_queue
WHERE processed = 1
  AND available_at IS NULL
  AND delivered_at < CURRENT_TIMESTAMP(6) - INTERVAL ? MICROSECOND
ORDER BY id
LIMIT ?
