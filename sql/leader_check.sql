-- leader: is the named lock still held by this very session? 1 = yes; 0 = free or held
-- by another session (the lock was lost, e.g. the connection was killed and re-opened).
-- Index: none. Locks: nothing.
-- Parameters: the lock name.
-- Returns: one row, one column: 1 or 0.
SELECT CAST(COALESCE(IS_USED_LOCK(?) = CONNECTION_ID(), 0) AS SIGNED)
