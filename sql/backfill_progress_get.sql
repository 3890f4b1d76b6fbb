-- ops::backfill::progress_row: the progress row of table ?, locked for the rest of the
-- chunk's transaction, so two backfills of one table take turns chunk by chunk instead
-- of enqueuing a chunk twice. Index: PRIMARY (table_name). Locks: that one row.
-- Parameters: the table name.
-- Returns: last_key, rows_enqueued, finished, started_at, finished_at; one row, or none.
SELECT CAST(last_key AS CHAR) AS last_key,
       CAST(rows_enqueued AS SIGNED) AS rows_enqueued,
       finished_at IS NOT NULL AS finished,
       started_at,
       finished_at
FROM certyo_queue_backfill
WHERE table_name = ?
FOR UPDATE
