-- bench::reset: make up to ? delivered rows pending again, lowest ids first, so one set
-- of queue rows serves the database-limit runs, the drain and the scale points. Scratch
-- database only. Served by the primary key; locks the rows it changes.
-- Parameters: the most rows to reset.
UPDATE certyo_queue
SET processed = 0,
    delivered_at = NULL,
    available_at = NOW(6),
    lease_owner = NULL,
    attempts = 0,
    last_error = NULL
WHERE processed = 1
ORDER BY id
LIMIT ?
