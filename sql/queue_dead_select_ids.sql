-- queue::dead_letters::requeue_ids: which of the ids {ids} are dead letters (`dead
-- requeue --id`).
-- Index: PRIMARY. Locks: nothing (plain consistent read).
-- Parameters: the ids ({ids}).
-- Placeholders: {ids} one bind marker per id (a chunk of at most 1000).
-- Returns: id, one row per id that is a dead letter.
SELECT id FROM certyo_queue
WHERE id IN ({ids}) AND processed = 0 AND dead_at IS NOT NULL
