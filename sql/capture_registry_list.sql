-- capture::registry::list: every captured table with its capture source and rendering
-- options. A small table read by work, verify, status and backfill; needs only SELECT on
-- it (no TRIGGER privilege, which MySQL requires to see information_schema.TRIGGERS
-- rows).
-- Parameters: none
-- Returns: table_name, source, options (JSON text or NULL), one row per captured table,
-- by table_name.
SELECT CAST(table_name AS CHAR) AS table_name, CAST(source AS CHAR) AS source,
       CAST(options AS CHAR) AS options
FROM certyo_capture
ORDER BY table_name
