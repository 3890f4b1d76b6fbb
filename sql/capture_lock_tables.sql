-- capture: hold writes to the table (and the queue its triggers write) while its
-- triggers are replaced, so no write can happen between DROP and CREATE
-- (capture::plan_capture; capture::is_lock_statement recognises the statement). Locks:
-- table WRITE locks until UNLOCK TABLES, a few milliseconds.
-- Parameters: none
-- Placeholders: {table} the checked, backtick-quoted table.
LOCK TABLES {table} WRITE, certyo_queue WRITE
