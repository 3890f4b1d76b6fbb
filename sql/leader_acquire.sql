-- leader: try to take the named lock that makes this session the leader of one
-- scheduled job. No wait (timeout 0): followers simply try again on their next tick.
-- Index: none (server-wide lock namespace). Locks: the named lock only, held until
-- RELEASE_LOCK or until this session ends (a dead process's session ends with it).
-- Parameters: the lock name.
-- Returns: one row, one column: 1 (taken, or already ours), 0 (held by another
-- session), NULL (error).
SELECT CAST(GET_LOCK(?, 0) AS SIGNED)
