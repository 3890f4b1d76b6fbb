-- tasks::verify: columns of a table that MySQL moves by itself on any UPDATE (ON UPDATE
-- CURRENT_TIMESTAMP); the verifier's write-back pins them to their current value.
-- Index: information_schema. Locks: nothing.
-- Parameters: schema, table.
-- Returns: COLUMN_NAME, one row per such column, in column order.
SELECT COLUMN_NAME FROM information_schema.COLUMNS
WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND LOWER(EXTRA) LIKE '%on update%'
ORDER BY ORDINAL_POSITION
