-- ops::audit::gone: end the snapshot of the queue-side check (it changed nothing).
-- Parameters: none
COMMIT
