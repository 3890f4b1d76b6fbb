-- queue::dead_letters::purge: delete the dead letters {ids}, re-checking that each is
-- still dead and died at or before the cut-off ? (a row requeued meanwhile stays)
-- (`dead purge`). Index: PRIMARY. Locks: the listed rows, until the statement commits.
-- Parameters: the ids ({ids}), the cut-off (the database clock less --older-than).
-- Placeholders: {ids} one bind marker per id (a chunk of at most 1000).
DELETE FROM certyo_queue
WHERE id IN ({ids}) AND processed = 0 AND dead_at IS NOT NULL AND dead_at <= ?
