-- audit: end the snapshot of the queue-side check (it changed nothing).
COMMIT
