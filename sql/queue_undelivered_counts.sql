-- ops::status::queue_counts: undelivered queue rows, dead letters among them
-- (available_at NULL marks a dead row), and the id of the oldest row not dead (ids
-- follow insertion order). queue::backlog runs it too.
-- Index: certyo_queue_claim (processed, available_at; InnoDB appends id), range
-- processed = 0, read from the index alone: no row is looked up, the delivered history
-- is not read. Locks: nothing (plain consistent read).
-- Parameters: none
-- Returns: one row: undelivered, dead, oldest_id (NULL when none).
SELECT CAST(COUNT(*) AS SIGNED) AS undelivered,
       CAST(COALESCE(SUM(available_at IS NULL), 0) AS SIGNED) AS dead,
       MIN(CASE WHEN available_at IS NOT NULL THEN id END) AS oldest_id
FROM certyo_queue
WHERE processed = 0
