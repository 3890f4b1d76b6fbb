-- status: the age in microseconds of queue row ? (the oldest undelivered one).
-- Index: PRIMARY. Locks: nothing.
SELECT TIMESTAMPDIFF(MICROSECOND, created_at, NOW(6)) FROM certyo_queue WHERE id = ?
