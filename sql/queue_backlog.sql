-- queue::backlog: rows waiting for delivery (pending, leased or retrying; not dead) and
-- the age in microseconds of the oldest, for the periodic progress line. Counts over the
-- certyo_queue_claim index range processed = 0.
SELECT COUNT(*) AS pending,
       COALESCE(TIMESTAMPDIFF(MICROSECOND, MIN(created_at), NOW(6)), 0) AS oldest_us
FROM certyo_queue
WHERE processed = 0 AND dead_at IS NULL
