-- capture registry: every captured table with its capture source and rendering options.
-- A small table read by work, verify, status and backfill; needs only SELECT on it (no
-- TRIGGER privilege, which MySQL requires to see information_schema.TRIGGERS rows).
SELECT CAST(table_name AS CHAR) AS table_name, CAST(source AS CHAR) AS source,
       CAST(options AS CHAR) AS options
FROM certyo_capture
ORDER BY table_name
