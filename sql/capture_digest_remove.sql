-- capture: column {column_name} of table {table_name} is anchored with its value again
-- (`migrate --no-digest-column`). Index: PRIMARY. Locks: that one row.
DELETE FROM certyo_capture_digest
WHERE table_name = '{table_name}' AND column_name = '{column_name}'
