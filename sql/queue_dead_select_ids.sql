-- dead requeue --id: which of the ids <ids> (expands to ?,?,…) are dead letters.
-- Index: PRIMARY. Locks: nothing (plain consistent read).
SELECT id FROM certyo_queue
WHERE id IN ({ids}) AND processed = 0 AND dead_at IS NOT NULL
