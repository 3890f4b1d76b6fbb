-- health_server::readiness: /readyz: the database answers. Touches no table.
-- Parameters: none
-- Returns: one row: 1 (ignored).
SELECT 1
