-- capture: hold writes to the table (and the queue its triggers write) while its
-- triggers are replaced, so no write can happen between DROP and CREATE. Locks: table
-- WRITE locks until UNLOCK TABLES, a few milliseconds.
LOCK TABLES {table} WRITE, certyo_queue WRITE
