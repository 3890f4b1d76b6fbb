-- leader: session setting of the dedicated lock connection: the server ends this
-- session (and so frees the lock) after this many seconds without a statement. The
-- leader checks its lock far more often, so only a leader that has gone silent (hung
-- process, lost network) loses it, and a follower can take over.
-- Index: none. Locks: nothing.
-- Parameters: wait_timeout in seconds.
SET SESSION wait_timeout = ?
