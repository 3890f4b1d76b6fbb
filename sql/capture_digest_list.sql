-- capture: the columns of table ? that `migrate --digest-column` set to be anchored as a
-- SHA-256 digest instead of their value (migration V6). Index: PRIMARY (table_name,
-- column_name) prefix. Locks: nothing (plain read). A missing table (42S02: V6 not yet
-- applied) means no digest columns. Read by capture::introspect::digest_columns; `audit`
-- (ops::audit) runs it to check that it may read them.
-- Parameters: the table name.
-- Returns: column_name, one row per digested column.
SELECT CAST(column_name AS CHAR) AS column_name
FROM certyo_capture_digest
WHERE table_name = ?
