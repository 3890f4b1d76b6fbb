-- queue::dead_letters: make the dead letters {ids} pending again, claimable at once
-- with a fresh attempt budget (`dead requeue --id` and `--all`). The row keeps its id,
-- so its idempotency key queue-<id> is kept; last_error is kept until the next failure
-- overwrites it. Rows that are no longer dead (requeued or purged meanwhile) are left
-- alone.
-- Index: PRIMARY. Locks: the listed rows, until the statement commits.
-- Parameters: the ids ({ids}).
-- Placeholders: {ids} one bind marker per id (a chunk of at most 1000).
UPDATE certyo_queue
SET dead_at = NULL,
    available_at = NOW(6),
    attempts = 0,
    lease_owner = NULL
WHERE id IN ({ids}) AND processed = 0 AND dead_at IS NOT NULL
