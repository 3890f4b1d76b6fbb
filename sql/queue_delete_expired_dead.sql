-- queue::cleanup::delete_expired: delete one chunk of dead letters by primary key,
-- re-checking that each is still dead and past retention (a dead letter requeued
-- meanwhile has dead_at NULL and stays).
-- Index: PRIMARY. Locks: exactly the listed rows, until the chunk commits.
-- Parameters: the ids ({ids}), then dead-letter retention in microseconds.
-- Placeholders: {ids} one bind marker per id.
DELETE FROM certyo_queue
WHERE id IN ({ids})
  AND processed = 0
  AND dead_at < CURRENT_TIMESTAMP(6) - INTERVAL ? MICROSECOND
