-- ops::audit::gone: the next transaction (the queue-side check) reads one snapshot, so a
-- row deleted through capture while the check runs is never seen gone without its
-- delete.
-- Parameters: none
SET TRANSACTION ISOLATION LEVEL REPEATABLE READ
