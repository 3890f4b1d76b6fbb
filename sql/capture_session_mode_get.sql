-- capture: the session's sql_mode and connection collation, to restore after the
-- triggers are created under capture_session_setup.sql.
SELECT CAST(@@SESSION.sql_mode AS CHAR), CAST(@@SESSION.collation_connection AS CHAR)
