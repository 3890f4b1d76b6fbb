-- ops: InnoDB's estimate of a table's row count (schema ?, table ?), for the progress
-- display only (ops::backfill and ops::audit). Reads information_schema (no data locks,
-- no table scan).
-- Parameters: the schema, the table name.
-- Returns: one row, one column: the estimate (none for a missing table).
SELECT CAST(COALESCE(TABLE_ROWS, 0) AS SIGNED)
FROM information_schema.TABLES
WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?
