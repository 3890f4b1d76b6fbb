-- status: the undelivered queue rows of each table: pending (not dead, not under a live
-- lease), in flight (under a live lease: lease_owner set and available_at, the lease
-- expiry, still ahead), retrying (pending and attempted at least once), dead, and the age
-- in microseconds of the oldest row not yet delivered (pending or in flight).
-- Index: certyo_queue_claim (processed, available_at), range processed = 0: only the
-- undelivered rows are read (pending, leased and dead letters), never the delivered
-- history; each is looked up by primary key for lease_owner / attempts / created_at, so
-- the cost follows the backlog, as queue_backlog.sql's does. Locks: nothing (plain
-- consistent read).
SELECT CAST(table_name AS CHAR) AS table_name,
       CAST(SUM(dead_at IS NULL
                AND NOT (lease_owner IS NOT NULL AND available_at > NOW(6))) AS SIGNED) AS pending,
       CAST(SUM(dead_at IS NULL
                AND lease_owner IS NOT NULL AND available_at > NOW(6)) AS SIGNED) AS in_flight,
       CAST(SUM(dead_at IS NULL AND attempts > 0
                AND NOT (lease_owner IS NOT NULL AND available_at > NOW(6))) AS SIGNED) AS retrying,
       CAST(SUM(dead_at IS NOT NULL) AS SIGNED) AS dead,
       TIMESTAMPDIFF(MICROSECOND,
                     MIN(CASE WHEN dead_at IS NULL THEN created_at END),
                     NOW(6)) AS oldest_pending_us
FROM certyo_queue
WHERE processed = 0
GROUP BY table_name
ORDER BY table_name
