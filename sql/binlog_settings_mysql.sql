-- binlog capture, MySQL only: whether JSON updates are logged as partial diffs (the
-- reader needs whole values). No locks.
SELECT CAST(@@binlog_row_value_options AS CHAR) AS row_value_options
