-- migrate::migrate_locked: a column of a table is anchored with its value again
-- (`migrate --no-digest-column`). Index: PRIMARY. Locks: that one row.
-- Parameters: none
-- Placeholders: {table_name}, {column_name} checked names, written as string literals
-- so --dry-run can print the statement.
DELETE FROM certyo_capture_digest
WHERE table_name = '{table_name}' AND column_name = '{column_name}'
