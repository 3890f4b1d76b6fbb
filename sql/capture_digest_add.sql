-- capture: remember that column {column_name} of table {table_name} is anchored as a
-- SHA-256 digest (both are checked names, written as string literals so --dry-run can
-- print the statement). Index: PRIMARY. Locks: that one row.
INSERT INTO certyo_capture_digest (table_name, column_name)
VALUES ('{table_name}', '{column_name}')
ON DUPLICATE KEY UPDATE column_name = VALUES(column_name)
