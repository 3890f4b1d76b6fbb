-- dead requeue --all / purge: one chunk of dead letters that died at or before the
-- cut-off ?, oldest first, at most ? of them.
-- Index: certyo_queue_claim (processed, available_at), range processed = 0 AND
-- available_at IS NULL (a dead letter is the only such row), then sorted by death.
-- Locks: nothing (plain consistent read).
SELECT id FROM certyo_queue
WHERE processed = 0 AND available_at IS NULL AND dead_at IS NOT NULL AND dead_at <= ?
ORDER BY dead_at, id
LIMIT ?
