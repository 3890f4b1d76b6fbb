-- schema::history_create_sql: --dry-run only: refinery's history table exactly as
-- refinery creates it, so pasted dry-run output leaves the database as `migrate` would
-- (later runs, `work` and `status` see the migrations as applied).
-- Parameters: none
CREATE TABLE IF NOT EXISTS certyo_queue_schema_history(
             version INT4 PRIMARY KEY,
             name VARCHAR(255),
             applied_on VARCHAR(255),
             checksum VARCHAR(255))
