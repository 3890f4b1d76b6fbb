-- capture::binlog::check_server: MySQL only: whether JSON updates are logged as partial
-- diffs (the reader needs whole values), and gtid_mode (ON: the reader keeps and
-- resumes from a GTID set; anything else: file and position). No locks.
-- Parameters: none
-- Returns: row_value_options, gtid_mode; one row
SELECT CAST(@@binlog_row_value_options AS CHAR) AS row_value_options,
       CAST(@@gtid_mode AS CHAR) AS gtid_mode
