-- queue::cleanup::expired_ids: one chunk of delivered queue rows past retention, oldest
-- delivery first.
-- A delivered row keeps its delivery time in available_at (queue_complete.sql); rows
-- delivered by a version before V11 carry NULL there (queue_select_expired_delivered_before_v11.sql).
-- Index: certyo_queue_claim (processed, available_at), range processed = 1 AND
-- available_at < cut-off; InnoDB appends the primary key, so the ORDER BY is served by
-- the index too. Undelivered rows (processed = 0) are outside the scanned range.
-- Locks: nothing (plain consistent read).
-- Parameters: retention in microseconds, chunk size.
-- Returns: id, oldest delivery first, at most the chunk size.
SELECT id FROM certyo_queue
WHERE processed = 1
  AND available_at < CURRENT_TIMESTAMP(6) - INTERVAL ? MICROSECOND
ORDER BY available_at, id
LIMIT ?
