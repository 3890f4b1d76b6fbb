-- capture::cascades: the foreign keys of table ? (schema ?) whose ON UPDATE / ON DELETE
-- action changes its rows from another table's statement (CASCADE, SET NULL, SET
-- DEFAULT). InnoDB applies those changes without firing triggers, so capture never sees
-- them. Reads information_schema only (no data locks).
-- Parameters: the schema, the table name.
-- Returns: constraint_name, table_name, referenced_table, update_rule, delete_rule, one
-- row per such foreign key (the caller keeps rows whose table_name matches exactly).
SELECT CAST(CONSTRAINT_NAME AS CHAR) AS constraint_name,
       CAST(TABLE_NAME AS CHAR) AS table_name,
       CAST(REFERENCED_TABLE_NAME AS CHAR) AS referenced_table,
       CAST(UPDATE_RULE AS CHAR) AS update_rule,
       CAST(DELETE_RULE AS CHAR) AS delete_rule
FROM information_schema.REFERENTIAL_CONSTRAINTS
WHERE CONSTRAINT_SCHEMA = ? AND TABLE_NAME = ?
  AND (UPDATE_RULE IN ('CASCADE', 'SET NULL', 'SET DEFAULT')
       OR DELETE_RULE IN ('CASCADE', 'SET NULL', 'SET DEFAULT'))
ORDER BY CONSTRAINT_NAME
