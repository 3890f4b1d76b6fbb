-- queue::claim, part of step 3: candidates {ids} that must wait for an earlier event of
-- their record (see queue_claim_blocked.sql) step aside for ? microseconds, so that a
-- hot record's backlog at the head of the queue cannot fill every claim window and
-- starve the records behind it. Order is unaffected: it is enforced by the blocked
-- check, not by available_at. Rows are locked by step 1; not leased.
UPDATE certyo_queue
SET available_at = NOW(6) + INTERVAL ? MICROSECOND
WHERE id IN ({ids})
