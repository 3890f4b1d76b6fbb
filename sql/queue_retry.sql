-- queue::retry: give rows {ids} back for another attempt after a transient failure
-- (5xx, timeout, connection error): available again in ? microseconds (backoff with
-- jitter, or the server's Retry-After), each row keeping its own error: the {errors}
-- list holds one error per id, in the order of the ids (ELT(FIELD(id, ...)) picks
-- it), so one statement settles rows that failed differently. Lease holder only.
-- Parameters: delay in microseconds, the ids, their errors, the ids, the lease owner.
-- Placeholders: {ids} one bind marker per id; {errors} one bind marker per id (its
-- error), in the order of the ids.
UPDATE certyo_queue
SET available_at = NOW(6) + INTERVAL ? MICROSECOND,
    lease_owner = NULL,
    last_error = ELT(FIELD(id, {ids}), {errors})
WHERE id IN ({ids}) AND lease_owner = ? AND processed = 0
