-- writeback: which rows of a batch still exist, without locking anything (a consistent
-- read): run only when captured_lock_rows.sql locked fewer rows than asked, to tell a
-- row another transaction holds (written back later) from a row that is gone (nothing
-- to write back).
-- Parameters: the same as captured_lock_rows.sql: per row, the record hash, the
-- record_id, the queue id, NULL, then the key values in key order.
-- Placeholders: {values}, {table} and {key_join} as in captured_lock_rows.sql.
-- Returns: q (the queue id), one row per source row that still exists.
SELECT v.q
FROM {table} t
JOIN ({values}) v ON {key_join}
