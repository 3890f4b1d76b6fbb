-- dead requeue --all / purge: one chunk of dead letters that died at or before the
-- cut-off ?, oldest first, at most ? of them.
-- Index: certyo_queue_dead (dead_at) range dead_at <= cut-off, in index order (the
-- primary key is appended). Locks: nothing (plain consistent read).
SELECT id FROM certyo_queue
WHERE dead_at IS NOT NULL AND dead_at <= ?
ORDER BY dead_at, id
LIMIT ?
