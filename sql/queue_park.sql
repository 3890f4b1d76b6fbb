-- queue::claim: part of step 3: candidates {ids} that must wait for an earlier event of
-- their record (see queue_claim_blocked.sql) are parked for ? microseconds: out of the
-- claim index's claimable range, so a hot record's backlog at the head of the queue
-- neither fills every claim window nor is locked and re-checked by every claim. Parked
-- rows keep lease_owner NULL and attempts untouched: when the earlier event is settled,
-- `queue_chain_heads.sql` / `queue_chain_lock.sql` lease the record's next event at once
-- whatever its park time; the park only bounds how long a record can wait if that
-- hand-over is missed (the worker died, or the row was locked at that moment). Order is
-- unaffected: it is enforced by the blocked check, not by available_at. Rows are locked
-- by step 1 (this transaction); by primary key; not leased.
-- Parameters: the park time in microseconds (BLOCKED_DEFER), the ids ({ids}).
-- Placeholders: {ids} one bind marker per parked candidate.
UPDATE certyo_queue
SET available_at = NOW(6) + INTERVAL ? MICROSECOND
WHERE id IN ({ids})
