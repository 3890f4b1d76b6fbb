-- migrate::apply_capture: put back the session's own sql_mode and connection collation.
-- The character sets stay utf8mb4, as our sessions use.
-- Parameters: the sql_mode and the collation read before (capture_session_mode_get.sql).
SET SESSION sql_mode = ?, SESSION collation_connection = ?
