-- backfill: InnoDB's estimate of a table's row count (schema ?, table ?), for the
-- progress display only. Reads information_schema (no data locks, no table scan).
SELECT CAST(COALESCE(TABLE_ROWS, 0) AS SIGNED)
FROM information_schema.TABLES
WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?
