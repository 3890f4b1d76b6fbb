-- Delete one chunk of delivered rows by primary key, re-checking that each is still
-- delivered and past retention. <ids> expands to ?,?,…
-- Index: PRIMARY. Locks: exactly the listed rows, until the chunk commits.
-- Parameters: the ids, then retention in microseconds.
DELETE FROM certyo_queue
WHERE id IN ({ids})
  AND processed = 1
  AND delivered_at < CURRENT_TIMESTAMP(6) - INTERVAL ? MICROSECOND
