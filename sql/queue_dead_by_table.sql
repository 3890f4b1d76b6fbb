-- ops::status::queue_counts: dead letters per table.
-- Index: certyo_queue_claim (processed, available_at), range processed = 0 AND
-- available_at IS NULL (a dead letter is the only such row); each dead row is looked
-- up for its table (dead letters are the exception, and purged after retention).
-- Locks: nothing (plain consistent read).
-- Parameters: none
-- Returns: table_name, dead, one row per table with dead letters.
SELECT CAST(table_name AS CHAR) AS table_name, CAST(COUNT(*) AS SIGNED) AS dead
FROM certyo_queue
WHERE processed = 0 AND available_at IS NULL AND dead_at IS NOT NULL
GROUP BY table_name
