-- capture::poll::lock_statement: while a table's capture switches between triggers and
-- polling, hold writes to it (and to the queue and the poll bookkeeping written
-- meanwhile), so no change can fall between the old source and the new one. Locks:
-- table WRITE locks until UNLOCK TABLES, a few milliseconds (plus the rows of the table
-- changed recently, read once).
-- Parameters: none
-- Placeholders: {table} the checked, backtick-quoted table.
LOCK TABLES {table} WRITE, certyo_queue WRITE, certyo_capture_poll WRITE, certyo_capture_poll_seen WRITE
