-- queue::retry: give rows {ids} back for another attempt after a transient failure
-- (429, 5xx, timeout, connection error): available again in ? microseconds (backoff
-- with jitter, or the server's Retry-After), with the error kept. Lease holder only.
-- Parameters: delay in microseconds, the error, the ids, the lease owner.
-- Placeholders: {ids} one bind marker per id.
UPDATE certyo_queue
SET available_at = NOW(6) + INTERVAL ? MICROSECOND,
    lease_owner = NULL,
    last_error = ?
WHERE id IN ({ids}) AND lease_owner = ? AND processed = 0
