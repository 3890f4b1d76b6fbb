-- status: dead letters per table.
-- Index: certyo_queue_dead (dead_at) range dead_at IS NOT NULL; each dead row is looked
-- up for its table (dead letters are the exception, and purged after retention).
-- Locks: nothing (plain consistent read).
SELECT CAST(table_name AS CHAR) AS table_name, CAST(COUNT(*) AS SIGNED) AS dead
FROM certyo_queue
WHERE dead_at IS NOT NULL
GROUP BY table_name
