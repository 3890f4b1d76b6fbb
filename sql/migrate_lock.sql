-- migrate::run_on: take the server-wide named lock for this schema's migrate (name
-- includes the schema), waiting up to ? seconds.
-- Parameters: the lock name, the wait in seconds.
-- Returns: one row, one column: 1 = got it, 0 = timed out (NULL on error).
SELECT GET_LOCK(?, ?)
