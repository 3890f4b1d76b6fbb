-- ops::status::delivered: queue rows delivered in the last hour and in the last 24
-- hours (the 24 h figure counts only what cleanup has not yet deleted: exact while
-- --retention >= 24h). A delivered row keeps its delivery time in available_at
-- (queue_complete.sql).
-- Index: certyo_queue_claim (processed, available_at), range processed = 1 AND
-- available_at >= now - 24 h, read from the index alone. Locks: nothing.
-- Parameters: none
-- Returns: one row: last_1h, last_24h.
SELECT CAST(COALESCE(SUM(available_at >= NOW(6) - INTERVAL 1 HOUR), 0) AS SIGNED) AS last_1h,
       CAST(COUNT(*) AS SIGNED) AS last_24h
FROM certyo_queue
WHERE processed = 1 AND available_at >= NOW(6) - INTERVAL 24 HOUR
