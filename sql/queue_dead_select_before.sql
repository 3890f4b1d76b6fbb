-- queue::dead_letters: one chunk of dead letters that died at or before the cut-off ?,
-- oldest first, at most ? of them (`dead requeue --all` and `dead purge`).
-- Index: certyo_queue_claim (processed, available_at), range processed = 0 AND
-- available_at IS NULL (a dead letter is the only such row), then sorted by death.
-- Locks: nothing (plain consistent read).
-- Parameters: the cut-off (the database clock, less --older-than for a purge), the
-- chunk size (1000).
-- Returns: id, oldest dead_at first, at most the chunk size.
SELECT id FROM certyo_queue
WHERE processed = 0 AND available_at IS NULL AND dead_at IS NOT NULL AND dead_at <= ?
ORDER BY dead_at, id
LIMIT ?
