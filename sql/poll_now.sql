-- capture::poll::db_now: the database's clock (UTC session), minus one second: the
-- floor of a table that starts being polled now. The second covers statements that
-- began just before (a statement's CURRENT_TIMESTAMP is its start time).
-- Parameters: none
-- Returns: one row: floor_stamp, now_stamp.
SELECT CAST(NOW(6) - INTERVAL 1 SECOND AS DATETIME(6)) AS floor_stamp, CAST(NOW(6) AS DATETIME(6)) AS now_stamp
