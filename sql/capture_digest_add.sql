-- migrate::migrate_locked: remember that a column of a table is anchored as a SHA-256
-- digest (`migrate --digest-column`). Index: PRIMARY. Locks: that one row.
-- Parameters: none
-- Placeholders: {table_name}, {column_name} checked names, written as string literals
-- so --dry-run can print the statement.
INSERT INTO certyo_capture_digest (table_name, column_name)
VALUES ('{table_name}', '{column_name}')
ON DUPLICATE KEY UPDATE column_name = VALUES(column_name)
