-- capture::session_setup_statement: the session settings every capture trigger is
-- created under. A trigger keeps the sql_mode and character set of the session that
-- created it and runs with them in every writer's session, so these, not the writer's,
-- decide how it behaves: utf8mb4 literals; no ANSI_QUOTES, NO_BACKSLASH_ESCAPES or
-- PIPES_AS_CONCAT to change how the body parses; no strict mode, so a value that does
-- not fit the queue row becomes a warning in the application's statement instead of
-- failing it.
-- Parameters: none
SET NAMES utf8mb4;
SET SESSION sql_mode = 'NO_ENGINE_SUBSTITUTION'
