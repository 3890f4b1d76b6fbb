-- queue::cleanup::expired_ids: one chunk of dead letters past their retention, oldest
-- first.
-- Index: certyo_queue_claim (processed, available_at), range processed = 0 AND
-- available_at IS NULL: a dead letter is the only such row (queue_bury.sql); the few
-- dead rows are then sorted. Locks: nothing (plain consistent read).
-- Parameters: dead-letter retention in microseconds, chunk size.
-- Returns: id, oldest dead_at first, at most the chunk size.
SELECT id FROM certyo_queue
WHERE processed = 0 AND available_at IS NULL
  AND dead_at < CURRENT_TIMESTAMP(6) - INTERVAL ? MICROSECOND
ORDER BY dead_at, id
LIMIT ?
