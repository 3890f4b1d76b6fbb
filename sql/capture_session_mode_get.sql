-- migrate::apply_capture: the session's sql_mode and connection collation, to restore
-- after the triggers are created under capture_session_setup.sql.
-- Parameters: none
-- Returns: one row: sql_mode, collation_connection.
SELECT CAST(@@SESSION.sql_mode AS CHAR), CAST(@@SESSION.collation_connection AS CHAR)
