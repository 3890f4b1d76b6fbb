-- ops::backfill::chunk: after a chunk, in its transaction: the last key enqueued (?, a
-- JSON array of text) and ? more rows, for table ?. Index: PRIMARY. Locks: that row
-- (already held).
-- Parameters: the chunk end as a JSON array of text, the rows enqueued, the table name.
UPDATE certyo_queue_backfill
SET last_key = ?, rows_enqueued = rows_enqueued + ?
WHERE table_name = ?
