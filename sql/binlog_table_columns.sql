-- capture::binlog::load_table: per column of one table, in table order, what decoding a
-- row image needs beyond capture_table_columns.sql: its character set and EXTRA
-- (VIRTUAL generated columns are not in row images). Reads information_schema only. The
-- caller keeps only rows whose table name matches exactly (I_S may compare case-blind).
-- Parameters: the schema, the table
-- Returns: table_name, column_name, charset, extra; one row per column
SELECT CAST(TABLE_NAME AS CHAR) AS table_name,
       CAST(COLUMN_NAME AS CHAR) AS column_name,
       CAST(CHARACTER_SET_NAME AS CHAR) AS charset,
       CAST(EXTRA AS CHAR) AS extra
FROM information_schema.COLUMNS
WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?
ORDER BY ORDINAL_POSITION
