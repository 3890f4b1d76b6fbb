-- schema::pending: versions of the queue schema already applied (refinery's history
-- table).
-- Parameters: none
-- Returns: version, one row per applied migration, in order.
SELECT version FROM certyo_queue_schema_history ORDER BY version
