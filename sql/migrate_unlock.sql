-- migrate::run_on: release the named lock taken by migrate_lock.sql.
-- Parameters: the lock name.
-- Returns: one row, one column: 1 = released, 0 = not ours, NULL = no such lock.
SELECT RELEASE_LOCK(?)
