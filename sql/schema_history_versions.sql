-- Versions of the queue schema already applied (refinery's history table).
SELECT version FROM certyo_queue_schema_history ORDER BY version
