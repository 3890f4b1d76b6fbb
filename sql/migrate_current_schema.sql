-- migrate::run_on: the schema the connection works in (from the database URL).
-- Parameters: none
-- Returns: one row, one column: DATABASE() (NULL when none).
SELECT DATABASE()
