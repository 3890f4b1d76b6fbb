-- queue::cleanup::delete_expired: delete one chunk of delivered rows by primary key,
-- re-checking that each is still delivered and past retention (for rows found by
-- queue_select_expired_delivered.sql and queue_select_expired_delivered_before_v11.sql).
-- Index: PRIMARY. Locks: exactly the listed rows, until the chunk commits.
-- Parameters: the ids ({ids}), then retention in microseconds.
-- Placeholders: {ids} one bind marker per id.
DELETE FROM certyo_queue
WHERE id IN ({ids})
  AND processed = 1
  AND delivered_at < CURRENT_TIMESTAMP(6) - INTERVAL ? MICROSECOND
