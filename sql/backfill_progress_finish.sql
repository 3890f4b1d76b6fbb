-- ops::backfill::chunk: table ? is done: no row is left after the last key.
-- Index: PRIMARY. Locks: that row (already held).
-- Parameters: the table name.
UPDATE certyo_queue_backfill SET finished_at = NOW(6) WHERE table_name = ?
