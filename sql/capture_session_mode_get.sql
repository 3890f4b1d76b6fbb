-- capture: the session's sql_mode, to restore after the triggers are created.
SELECT CAST(@@SESSION.sql_mode AS CHAR)
