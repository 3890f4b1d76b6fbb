-- One chunk of dead letters past their retention, oldest first.
-- Index: certyo_queue_dead (dead_at). Locks: nothing (plain consistent read).
-- Parameters: dead-letter retention in microseconds, chunk size.
SELECT id FROM certyo_queue
WHERE dead_at < CURRENT_TIMESTAMP(6) - INTERVAL ? MICROSECOND
ORDER BY dead_at, id
LIMIT ?
