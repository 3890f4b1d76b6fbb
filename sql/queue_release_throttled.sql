-- queue::throttle: hand rows {ids} back after Certyo answered 429 (rate limited), without
-- counting the attempt (the claim counted it; this takes it back, as queue_release.sql
-- does), available again after a delay, with the answer kept as last_error. A
-- rate limit says nothing about the rows, so however long it lasts it never makes a
-- dead letter. By primary key, only where this claim still holds the lease; locks only
-- the rows named.
-- Parameters: delay in microseconds, the error, the ids, the lease owner.
-- Placeholders: {ids} one bind marker per id.
UPDATE certyo_queue
SET available_at = NOW(6) + INTERVAL ? MICROSECOND,
    lease_owner = NULL,
    attempts = GREATEST(attempts, 1) - 1,
    last_error = ?
WHERE id IN ({ids}) AND lease_owner = ? AND processed = 0
