-- queue::bury: make the row a dead letter with the reason given: it is never claimed
-- again (available_at NULL) and no longer blocks later events of its record. Kept until
-- the dead-letter retention passes. Lease holder only (lease_owner = ?).
-- Parameters: the reason (truncated to 1000 bytes), the row id, the lease owner.
UPDATE certyo_queue
SET dead_at = NOW(6),
    available_at = NULL,
    lease_owner = NULL,
    last_error = ?
WHERE id = ? AND lease_owner = ? AND processed = 0
