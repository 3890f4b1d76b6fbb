-- ops::status::collect: tables of the schema that carry the tracking column
-- certyo_anchor_status, i.e. tables that are or were captured (uncapture keeps the
-- columns). Reads information_schema only (no data locks).
-- Parameters: the schema.
-- Returns: table_name, one row per such table, by name.
SELECT DISTINCT CAST(TABLE_NAME AS CHAR) AS table_name
FROM information_schema.COLUMNS
WHERE TABLE_SCHEMA = ? AND COLUMN_NAME = 'certyo_anchor_status'
ORDER BY table_name
