-- writeback::due_count: write-backs kept for a later try, and the age of the oldest
-- (seconds), for `status`. Reads certyo_writeback_due, which is empty in the common
-- case.
-- Parameters: none
-- Returns: one row: kept, oldest_s.
SELECT COUNT(*) AS kept,
       CAST(COALESCE(TIMESTAMPDIFF(SECOND, MIN(created_at), NOW(6)), 0) AS SIGNED) AS oldest_s
FROM certyo_writeback_due
