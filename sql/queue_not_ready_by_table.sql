-- ops::status::queue_counts: per table, the undelivered rows not claimable now: in
-- flight (under a live lease: lease_owner set, available_at = lease expiry ahead) and
-- retrying (no lease, waiting out a retry delay after a failed attempt).
-- Index: certyo_queue_claim range processed = 0 AND available_at > now: only rows leased
-- or backing off (bounded by workers x batch plus failing rows) are looked up.
-- Locks: nothing (plain consistent read).
-- Parameters: none
-- Returns: table_name, in_flight, retrying, one row per table with such rows.
SELECT CAST(table_name AS CHAR) AS table_name,
       CAST(SUM(lease_owner IS NOT NULL) AS SIGNED) AS in_flight,
       CAST(SUM(lease_owner IS NULL AND attempts > 0) AS SIGNED) AS retrying
FROM certyo_queue
WHERE processed = 0 AND available_at > NOW(6)
GROUP BY table_name
