-- bench::run: delivered and dead rows, after a phase. A full scan of the scratch queue;
-- no locks.
-- Parameters: none
-- Returns: one row: delivered, dead.
SELECT CAST(COALESCE(SUM(processed = 1), 0) AS SIGNED) AS delivered,
       CAST(COALESCE(SUM(dead_at IS NOT NULL), 0) AS SIGNED) AS dead
FROM certyo_queue
