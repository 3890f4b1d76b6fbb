-- queue::release: hand back rows {ids} that were claimed but not sent (shutdown, or the
-- API refused our credentials): the attempt is not counted, and the rows are available
-- again in ? microseconds. Lease holder only.
-- Parameters: the delay in microseconds, the ids ({ids}), the lease owner.
-- Placeholders: {ids} one bind marker per id.
UPDATE certyo_queue
SET available_at = NOW(6) + INTERVAL ? MICROSECOND,
    lease_owner = NULL,
    attempts = GREATEST(attempts, 1) - 1
WHERE id IN ({ids}) AND lease_owner = ? AND processed = 0
