-- writeback: which rows of a batch still exist, without locking anything (a consistent
-- read): run only when captured_lock_rows.sql locked fewer rows than asked, to tell a
-- row another transaction holds (written back later) from a row that is gone (nothing
-- to write back). Same {values}, {table} and {key_join} as captured_lock_rows.sql.
SELECT v.q
FROM {table} t
JOIN ({values}) v ON {key_join}
