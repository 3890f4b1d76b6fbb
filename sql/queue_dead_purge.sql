-- dead purge: delete the dead letters <ids> (expands to ?,?,…), re-checking that each is
-- still dead and died at or before the cut-off ? (a row requeued meanwhile stays).
-- Index: PRIMARY. Locks: the listed rows, until the statement commits.
DELETE FROM certyo_queue
WHERE id IN ({ids}) AND processed = 0 AND dead_at IS NOT NULL AND dead_at <= ?
