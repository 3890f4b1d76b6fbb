-- capture::introspect::inspect: index names of one table (to see whether certyo_verify
-- exists). Reads information_schema.STATISTICS only; no data locks.
-- Parameters: the schema, the table name.
-- Returns: table_name, index_name, one row per index.
SELECT DISTINCT CAST(TABLE_NAME AS CHAR) AS table_name, CAST(INDEX_NAME AS CHAR) AS index_name
FROM information_schema.STATISTICS
WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?
