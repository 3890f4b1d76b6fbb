-- capture: put back the session's own sql_mode and connection collation (parameters:
-- the values read before). The character sets stay utf8mb4, as our sessions use.
SET SESSION sql_mode = ?, SESSION collation_connection = ?
