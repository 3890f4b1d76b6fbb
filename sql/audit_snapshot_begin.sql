-- ops::audit::gone: begin the snapshot of the queue-side check (reads only; no locks
-- taken).
-- Parameters: none
START TRANSACTION WITH CONSISTENT SNAPSHOT
