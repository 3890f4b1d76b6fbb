-- dead requeue: make the dead letters <ids> (expands to ?,?,…) pending again, claimable
-- at once with a fresh attempt budget. The row keeps its id, so its idempotency key
-- queue-<id> is kept; last_error is kept until the next failure overwrites it. Rows
-- that are no longer dead (requeued or purged meanwhile) are left alone.
-- Index: PRIMARY. Locks: the listed rows, until the statement commits.
UPDATE certyo_queue
SET dead_at = NULL,
    available_at = NOW(6),
    attempts = 0,
    lease_owner = NULL
WHERE id IN ({ids}) AND processed = 0 AND dead_at IS NOT NULL
