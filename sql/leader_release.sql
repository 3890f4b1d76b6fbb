-- leader: give the named lock up on a clean shutdown, so a follower takes over at once.
-- Index: none. Locks: releases the named lock.
-- Parameters: the lock name.
-- Returns: one row, one column: 1 = released, 0 = not ours, NULL = no such lock.
SELECT CAST(RELEASE_LOCK(?) AS SIGNED)
