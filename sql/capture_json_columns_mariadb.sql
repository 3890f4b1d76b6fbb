-- capture::introspect::mariadb_json_columns: MariaDB only: the CHECK constraints of one
-- table. MariaDB's JSON type is LONGTEXT plus CHECK (json_valid(`col`)), so
-- information_schema.COLUMNS says `longtext`; a column whose check clause is exactly
-- json_valid(`col`) is rendered as JSON. (MySQL has a real json DATA_TYPE and no
-- TABLE_NAME in this view.) Reads information_schema only (no data locks).
-- Parameters: the schema, the table name.
-- Returns: table_name, check_clause, one row per CHECK constraint.
SELECT CAST(TABLE_NAME AS CHAR) AS table_name, CAST(CHECK_CLAUSE AS CHAR) AS check_clause
FROM information_schema.CHECK_CONSTRAINTS
WHERE CONSTRAINT_SCHEMA = ? AND TABLE_NAME = ?
