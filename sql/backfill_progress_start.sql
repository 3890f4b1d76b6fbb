-- ops::backfill::begin: start (or with --restart, start over) the backfill of table ?:
-- no key done yet, nothing enqueued. Index: PRIMARY (table_name). Locks: that one row.
-- Parameters: the table name.
INSERT INTO certyo_queue_backfill (table_name, last_key, rows_enqueued, started_at, finished_at)
VALUES (?, NULL, 0, NOW(6), NULL)
ON DUPLICATE KEY UPDATE last_key = NULL, rows_enqueued = 0, started_at = NOW(6),
                        finished_at = NULL
